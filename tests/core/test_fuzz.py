"""No text a person (or a script) can send ends in a 500.

For each role, the pages that role can reach are found by following the links from the start
page as that role; every query parameter of those pages, every field of their forms and every
text part of a route's path is then sent hostile text (NUL and other control characters,
400-digit numbers, digits of other scripts, very long strings, dates at the ends of the
calendar): first each value of a fixed list in every field at once, then values drawn by
hypothesis. Derandomized, so CI sends the same requests on every run.
"""

import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest
from flask import current_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import csrf_token, login

ROLES = ["t_admin", "t_coord_a", "t_payroll_a", "t_worker_a"]
# The request guard refuses these wherever they are: sent in every field at once.
CONTROL = ["a\x00b", "\x01\x08\x1b\x7f\x85"]
# Sent in every query parameter at once, and in each form field in turn (the others keep the
# values the page filled in, so that a bad value reaches the service and the database).
HOSTILE = [
    "9" * 400,
    "²",  # str.isdigit() says yes, int() says no
    "x" * 5000,
    "sNaN",  # Decimal takes it; comparing it raises
    "9999-12-31",
]
# More for the query parameters, and for hypothesis to draw from, with random text.
MORE_HOSTILE = [
    "٥٠٠١٠٣١٩٩٠٠٥١٧١٢٣٤",  # Arabic-Indic digits
    "５００１０３１９９００５１７１２３X",  # full-width
    "-1",
    "0000-01",
    "9999-12",
    "\x00",
    "0001-01",
    "0001-01-01",
    "9999-12-31T23:59",
    "2026-02-30",
    "NaN",
    "-Infinity",
    "1e999999",
    "0",
    "-" + "9" * 30,
    "%",
    "' OR 1=1 --",
    "\u202e\ufeff\u200b",
    "𝟘𝟙",
]
# Query parameters some page reads, besides those its links and filter forms show.
COMMON_ARGS = ["q", "page", "sort", "next", "month", "show", "view", "date", "code", "lang", "district", "state"]
SKIP_FORMS = ("/logout", "/locale/")  # they end the session or only switch the language
PER_ENDPOINT = 2  # pages of one endpoint visited (other objects, other states)
FILES = {"file"}  # upload fields are not text

text = st.one_of(
    st.sampled_from(CONTROL + HOSTILE + MORE_HOSTILE),
    st.text(max_size=40),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
)
FUZZ = settings(max_examples=3, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


class _Page(HTMLParser):
    """The links and forms of one page."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.forms: list[dict] = []  # {"action", "method", "f": {name: value}, "choices": {names}}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        elif tag == "form":
            method = (a.get("method") or "get").lower()
            self.forms.append({"action": a.get("action") or "", "method": method, "f": {}, "choices": set()})
        elif tag in ("input", "select", "textarea", "button") and self.forms and a.get("name"):
            self.forms[-1]["f"].setdefault(a["name"], a.get("value") or "")
            if tag == "select" or a.get("type") in ("checkbox", "radio"):
                self.forms[-1]["choices"].add(a["name"])


def _same_site(href: str) -> str | None:
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("/static/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Site:
    """What one role reaches: {endpoint: URL}, POST forms [(action, fields, choice fields)], query names."""

    def __init__(self, client):
        self.client, self.pages, self.forms, self.names = client, {}, [], set()
        adapter = current_app.url_map.bind("localhost")
        seen, queue, visits = set(), ["/"], Counter()
        while queue:
            url = queue.pop(0)
            try:
                endpoint, _args = adapter.match(urlsplit(url).path, method="GET")
            except Exception:
                continue
            if url in seen or visits[endpoint] >= PER_ENDPOINT:
                continue
            seen.add(url)
            visits[endpoint] += 1
            response = client.get(url)
            assert response.status_code < 500, url
            if response.status_code in (301, 302, 303) and _same_site(response.headers["Location"]):
                queue.append(_same_site(response.headers["Location"]))
            if response.status_code != 200 or response.mimetype != "text/html":
                continue
            self.pages.setdefault(endpoint, url)
            page = _Page()
            page.feed(response.get_data(as_text=True))
            queue += [t for t in map(_same_site, page.links) if t]
            self.names.update(k for link in page.links for k, _v in parse_qsl(urlsplit(link).query))
            for form in page.forms:
                action = _same_site(form["action"] or url) or url
                if form["method"] == "get":
                    self.names.update(form["f"])
                elif not action.startswith(SKIP_FORMS) and set(form["f"]) - {"csrf_token"}:
                    self.forms.append((action, form["f"], form["choices"]))
        self.token = csrf_token(client, "/account/password")  # one token a session


def _send(client, failures: list, what: str, method: str, url: str, **kwargs) -> None:
    try:
        response = client.open(url, method=method, **kwargs)
    except Exception as exc:  # the test app re-raises what would have been a 500
        failures.append(f"{what}: {exc!r:.300}")
    else:
        if response.status_code >= 500:
            failures.append(f"{what}: {response.status_code}")


def _kind(action: str, fields) -> tuple:
    return re.sub(r"\d+", "N", action.split("?")[0]), tuple(sorted(fields))


@pytest.fixture
def sites(app, world) -> dict[str, Site]:
    result = {}
    for role in ROLES:
        client = app.test_client()
        login(client, role)
        result[role] = Site(client)
    assert all(s.pages for s in result.values()), {r: len(s.pages) for r, s in result.items()}
    return result


def test_every_query_parameter_takes_hostile_text(sites):
    failures, done = [], set()
    for role, site in sites.items():
        names = sorted(site.names | set(COMMON_ARGS))
        for endpoint, url in site.pages.items():
            if endpoint in done:
                continue  # each page once, as the first role that reaches it
            done.add(endpoint)
            path = urlsplit(url).path
            for value in CONTROL[:1] + HOSTILE + ["-1", "0000-01", "9999-12"]:
                target = f"{path}?{urlencode(dict.fromkeys(names, value))}"
                _send(site.client, failures, f"{role} GET {target[:150]}", "GET", target)
            _fuzz_query(site.client, role, path, names)
    assert not failures, "\n".join(failures)


def test_every_form_field_takes_hostile_text(sites):
    failures, done = [], set()
    for role, site in sites.items():
        for action, fields, choices in site.forms:
            if _kind(action, fields) in done:
                continue
            done.add(_kind(action, fields))
            names = [n for n in fields if not n.endswith("csrf_token") and n not in FILES]
            if not names:
                continue
            base = {**fields, **{n: site.token for n in [*fields, "csrf_token"] if n.endswith("csrf_token")}}
            sends = [dict.fromkeys(names, value) for value in CONTROL]
            # A choice (select, checkbox) only ever takes one of its options: no need to try them all.
            sends += [{name: value} for name in names if name not in choices for value in HOSTILE]
            for values in sends:
                what = f"{role} POST {action} {values!r:.80}"
                _send(site.client, failures, what, "POST", action, data={**base, **values})
            _fuzz_form(site.client, role, action, base, names)
    assert not failures, "\n".join(failures)


def _fuzz_query(client, role, path, names):
    @FUZZ
    @given(st.dictionaries(st.sampled_from(names), text, min_size=1, max_size=6))
    def fuzz(args):
        target = f"{path}?{urlencode(args)}"
        assert client.get(target).status_code < 500, f"{role} GET {target[:300]}"

    fuzz()


def _fuzz_form(client, role, action, fields, names):
    @FUZZ
    @given(st.dictionaries(st.sampled_from(names), text, min_size=1))
    def fuzz(values):
        assert client.post(action, data={**fields, **values}).status_code < 500, f"{role} POST {action} {values!r:.300}"

    fuzz()


def test_every_text_part_of_a_path_takes_hostile_text(app, world):
    """<month>, <kind>, <fmt>, <token>, <status>, <code>: GET and POST (with a valid CSRF token)."""
    client = app.test_client()
    login(client, "t_admin")
    token = csrf_token(client, "/account/password")
    ids = {"session_id": world.session.id, "meeting_id": world.session.meetings[0].id}
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not re.search(r"<(?!int:)", rule.rule):
            continue
        for value in CONTROL + HOSTILE + MORE_HOSTILE[:5]:
            path = re.sub(
                r"<(?:(\w+):)?(\w+)>",
                lambda m, v=value: str(ids.get(m.group(2), 1)) if m.group(1) == "int" else quote(v, safe=""),
                rule.rule,
            )
            for method in sorted(rule.methods & {"GET", "POST"}):
                _send(client, failures, f"{method} {path[:150]}", method, path, data={"csrf_token": token})
    assert not failures, "\n".join(failures)
