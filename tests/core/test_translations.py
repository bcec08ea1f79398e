"""The Chinese catalog covers every UI string, and the language switch works.

Chinese is the default language, so an untranslated msgid shows English to most users: every
message extracted from the source must have a Chinese translation that keeps its placeholders.
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from tests.factories import csrf_token

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
# The directory may be named zh_CN or zh_Hans_CN (what Babel makes of zh_CN); there is exactly one.
(ZH_CN,) = TRANSLATIONS.glob("zh*/LC_MESSAGES/messages.po")
CATALOGS = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)[a-z]")


def _load(path: Path):
    with path.open("rb") as f:
        return read_po(f)


def _texts(value) -> tuple[str, ...]:
    """msgid/msgstr of a plural entry are tuples; of a singular one, a string."""
    return tuple(value) if isinstance(value, list | tuple) else (value,)


def _placeholders(value) -> set[str]:
    return {name for text in _texts(value) if text for name in PLACEHOLDER.findall(text)}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The messages in the source as it is now (the same command as `make extract-messages`)."""
    pot = tmp_path_factory.mktemp("babel") / "messages.pot"
    command = [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg"]
    command += ["-k", "_l", "-k", "lazy_gettext", "-k", "_lp:1c,2", "-o", str(pot), "."]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return _load(pot)


@pytest.fixture(scope="module")
def zh_cn():
    return _load(ZH_CN)


def test_every_extracted_message_has_a_chinese_translation(extracted, zh_cn):
    ids = [message.id for message in extracted if message.id]
    assert len(ids) > 100, "the extraction found suspiciously few messages"
    missing = []
    for msgid in ids:
        message = zh_cn.get(msgid)
        if message is None or message.fuzzy or not all(_texts(message.string)):
            missing.append(_texts(msgid)[0])
    assert not missing, (
        f"{len(missing)} message(s) lack a Chinese translation; run `make extract-messages` "
        "and translate them in app/translations/zh_CN/LC_MESSAGES/messages.po:\n" + "\n".join(missing)
    )


def test_translations_keep_the_placeholders(zh_cn):
    wrong = [
        f"{_texts(message.id)[0]!r}: {sorted(_placeholders(message.id))} != {sorted(_placeholders(message.string))}"
        for message in zh_cn
        if message.id and any(_texts(message.string))
        if _placeholders(message.id) != _placeholders(message.string)
    ]
    assert not wrong, "translations whose placeholders differ from the msgid:\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: path.parts[-3])
def test_catalog_headers_are_usable(path):
    # `pybabel compile` silently skips a catalog whose header is marked fuzzy.
    catalog = _load(path)
    assert not catalog.fuzzy
    if path == ZH_CN:
        assert catalog.num_plurals == 1
        assert catalog.plural_expr == "0"


def test_the_login_page_is_chinese_by_default_and_english_on_request(client):
    html = client.get("/login").get_data(as_text=True)
    assert "登录" in html
    assert "Sign in" not in html

    response = client.post("/locale/en", data={"csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302

    html = client.get("/login").get_data(as_text=True)
    assert "Sign in" in html
    assert "登录" not in html


def test_a_request_speaks_another_language_inside_force_locale_and_its_own_after(app):
    """app/core/locale.py keeps a request's translations beside their locale: a statement made
    in the worker's language (force_locale) inside a Chinese page, in Python code and in a
    template, and the page's own language again after it."""
    from flask import render_template_string
    from flask_babel import force_locale, gettext, lazy_gettext, refresh

    label = lazy_gettext("Sign in")
    template = "{{ _('Sign in') }}|{{ label }}"
    with app.test_request_context("/"):
        assert gettext("Sign in") == "登录"
        assert render_template_string(template, label=label) == "登录|登录"
        with force_locale("en"):
            assert gettext("Sign in") == "Sign in" and str(label) == "Sign in"
            assert render_template_string(template, label=label) == "Sign in|Sign in"
        assert gettext("Sign in") == "登录"
        assert render_template_string(template, label=label) == "登录|登录"
        from flask import session

        session["locale"] = "en"  # the language switch, then Flask-Babel's refresh()
        refresh()
        assert gettext("Sign in") == "Sign in"
        assert render_template_string(template, label=label) == "Sign in|Sign in"
