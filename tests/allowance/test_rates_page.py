"""Rates and policy on the page (issue #9): listed by level then date; an admin ends a rate or
replaces it by a newer amount; the registration box says which policy is in force today."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.allowance import services
from app.allowance.compute import all_rates
from app.allowance.models import AllowanceRate
from app.allowance.rules import rate_in_force
from app.exams.levels import Level
from app.extensions import db
from tests.factories import csrf_token, login


def _post(client, url, data, prefix):
    return client.post(url, data={**data, f"{prefix}-csrf_token": csrf_token(client, "/account/password")})


def _rows(html: str) -> list[str]:
    table = html[html.index('id="rates-table"') : html.index("</table>", html.index('id="rates-table"'))]
    return [chunk.split('"', 1)[0] for chunk in table.split('data-rate="')[1:]]


def test_rates_are_listed_by_level_then_date(client, world):
    senior_old = services.set_rate(Level.senior, Decimal("450"), date(2021, 1, 1))
    local_new = services.set_rate(Level.local, Decimal("120"), date(2026, 1, 1))
    assistant_district = services.set_rate(Level.assistant, Decimal("230"), date(2023, 1, 1), district_code="500103")
    db.session.commit()
    login(client, "t_payroll_city")
    ids = [int(i) for i in _rows(client.get("/allowance/rates").get_data(as_text=True))]
    rates = {r.id: r for r in db.session.query(AllowanceRate)}
    keys = [(rates[i].level.rank, rates[i].valid_from) for i in ids]
    assert keys == sorted(keys)
    assert ids.index(local_new.id) < ids.index(assistant_district.id) < ids.index(senior_old.id)


def test_an_admin_ends_a_rate_from_the_page(client, world, today):
    rate = services.set_rate(Level.assistant, Decimal("250"), today + timedelta(days=40), district_code="500103")
    db.session.commit()
    login(client, "t_admin")
    listing = client.get("/allowance/rates").get_data(as_text=True)
    assert f"/allowance/rates/{rate.id}" in listing
    url = f"/allowance/rates/{rate.id}"
    bad = _post(client, url, {"end-valid_to": (today + timedelta(days=39)).isoformat()}, "end")
    assert bad.status_code == 200 and "is-invalid" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(AllowanceRate, rate.id).valid_to is None

    end = today + timedelta(days=100)
    assert _post(client, url, {"end-valid_to": end.isoformat()}, "end").status_code == 302
    db.session.expire_all()
    assert db.session.get(AllowanceRate, rate.id).valid_to == end
    district = world.community_a.district_id
    after = rate_in_force(all_rates(), Level.assistant, district, end + timedelta(days=1))
    assert after.amount == Decimal("200.00")  # the city-wide row again


def test_an_admin_replaces_a_rate_by_a_newer_amount_from_a_date(client, world, today):
    rate = services.set_rate(Level.intermediate, Decimal("320"), today - timedelta(days=30), district_code="500104")
    db.session.commit()
    login(client, "t_admin")
    url = f"/allowance/rates/{rate.id}"
    too_early = _post(client, url, {"newer-amount": "340", "newer-valid_from": rate.valid_from.isoformat()}, "newer")
    assert too_early.status_code == 200 and "is-invalid" in too_early.get_data(as_text=True)
    start = today + timedelta(days=10)
    assert (
        _post(client, url, {"newer-amount": "340", "newer-valid_from": start.isoformat()}, "newer").status_code == 302
    )
    db.session.expire_all()
    assert db.session.get(AllowanceRate, rate.id).valid_to == start - timedelta(days=1)
    newer = db.session.query(AllowanceRate).filter_by(level=Level.intermediate, valid_from=start).one()
    assert newer.amount == Decimal("340.00") and newer.district_id == rate.district_id and newer.valid_to is None


@pytest.mark.parametrize("user", ["t_payroll_city", "t_payroll_a"])
def test_only_an_admin_changes_a_rate(client, world, user):
    rate = db.session.query(AllowanceRate).filter_by(level=Level.local).first()
    login(client, user)
    assert client.get(f"/allowance/rates/{rate.id}").status_code == 403
    assert _post(client, f"/allowance/rates/{rate.id}", {"end-valid_to": "2030-01-01"}, "end").status_code == 403
    db.session.expire_all()
    assert db.session.get(AllowanceRate, rate.id).valid_to is None


def test_the_registration_box_shows_the_policy_in_force_today(client, world, today):
    services.set_registration_required(today - timedelta(days=10), False)
    services.set_registration_required(today + timedelta(days=10), True)
    db.session.commit()
    login(client, "t_payroll_city")
    html = client.get("/allowance/rates").get_data(as_text=True)
    box = html[html.index('id="policy-now"') :]
    box = box[: box.index("</div>")]
    assert (today - timedelta(days=10)).isoformat() in box
    assert "no registration" in box or "无需" in box or "不需要" in box
