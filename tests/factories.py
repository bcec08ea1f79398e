"""Factories: build records through the same services the app uses."""

import itertools
import re
from datetime import date

import sqlalchemy as sa

from app.accounts import services as accounts
from app.core.access import Role
from app.core.identity import make_id_number
from app.extensions import db
from app.places.models import Community, District, Street
from app.workers import services as workers
from app.workers.models import PostType

PASSWORD = "Passw0rd!"
_seq = itertools.count(1)


def district(code: str = "500103") -> District:
    return db.session.scalar(sa.select(District).where(District.code == code))


def community(district_code: str = "500103", street_name: str | None = None, name: str | None = None) -> Community:
    d = district(district_code)
    n = next(_seq)
    street = Street(district_id=d.id, name=street_name or f"测试{n}街道")
    existing = db.session.scalar(sa.select(Street).where(Street.district_id == d.id, Street.name == street.name))
    if existing:
        street = existing
    else:
        db.session.add(street)
        db.session.flush()
    c = Community(code=f"{district_code}{n:06d}", name=name or f"测试{n}社区", street_id=street.id, district_id=d.id)
    db.session.add(c)
    db.session.flush()
    return c


def id_number(area: str = "500103", birth: date = date(1990, 5, 17)) -> str:
    return make_id_number(area, birth, next(_seq) % 1000)


def worker(
    comm: Community | None = None,
    name: str = "张伟",
    start: date = date(2020, 1, 1),
    end: date | None = None,
    post: PostType = PostType.staff,
    phone: str | None = None,
    number: str | None = None,
):
    comm = comm or community()
    return workers.create_worker(number or id_number(), name, phone, workers.PostData(comm.id, post, start, end))


def user(
    role: Role,
    username: str | None = None,
    districts: list[str] | None = None,
    city_wide: bool = False,
    worker_record=None,
    password: str = PASSWORD,
):
    username = username or f"{role.value}{next(_seq)}"
    if role in (Role.coordinator, Role.payroll) and not districts and not city_wide:
        districts = ["500103"]
    return accounts.create_user(
        username,
        role,
        password,
        district_codes=districts,
        city_wide=city_wide,
        worker_id_number=worker_record.id_number if worker_record else None,
    )


_CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client, url: str = "/login") -> str:
    html = client.get(url).get_data(as_text=True)
    match = _CSRF.search(html) or re.search(r'id="csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"login": username, "password": password, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def post(client, url: str, data: dict | None = None, token_from: str = "/account/password", **kwargs):
    token = csrf_token(client, token_from)
    return client.post(url, data={**(data or {}), "csrf_token": token}, **kwargs)
