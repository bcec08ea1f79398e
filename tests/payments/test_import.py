"""The bank accounts file: all or nothing, every bad row reported, a district user's workers only."""

import io
import re
from datetime import date

import pytest
import sqlalchemy as sa

from app.core.importing import ImportJob, JobState
from app.extensions import db
from app.payments.importer import apply_account_import, plan_account_import
from app.payments.models import BankAccount
from tests.factories import csrf_token, login
from tests.payments.helpers import card

HEADER = "身份证号,姓名,开户行,账号,启用日期"
BAD_LUHN = "6222021234567890120"  # 19 digits, wrong check digit


def _csv(*rows, header=HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode("gb18030")


def _accounts(worker):
    return {
        (a.bank.name, a.account_no, a.valid_from)
        for a in db.session.scalars(sa.select(BankAccount).where(BankAccount.worker_id == worker.id))
    }


def test_accounts_are_imported_by_bank_name_or_code_and_reimporting_changes_nothing(world):
    a, b = world.worker_a, world.worker_b
    n1, n2 = card(), card("621700", 16)
    data = _csv(f"{a.id_number},{a.name},中国工商银行,{n1},2025-01-01", f"{b.id_number},{b.name},105,{n2},2025-03-01")
    plan = plan_account_import("accounts.csv", data, None)
    assert plan.ok, plan.errors
    apply_account_import(plan, "accounts.csv")
    assert _accounts(a) == {("中国工商银行", n1, date(2025, 1, 1))}
    assert _accounts(b) == {("中国建设银行", n2, date(2025, 3, 1))}
    again = plan_account_import("accounts.csv", data, None)
    assert again.ok and not again.has_changes


def test_a_luhn_failing_card_and_a_holder_name_that_differs_are_row_errors_and_nothing_is_written(world):
    a, b = world.worker_a, world.worker_b
    plan = plan_account_import(
        "accounts.csv",
        _csv(
            f"{a.id_number},{a.name},中国银行,{card()},2025-01-01",
            f"{a.id_number},{a.name},中国银行,{BAD_LUHN},2025-02-01",
            f"{b.id_number},王五,中国银行,{card()},2025-01-01",
            f"{b.id_number},{b.name},招商银行,12345,2025-13-01",
        ),
        None,
    )
    assert not plan.ok
    where = {(e.row, e.column.split(" ")[0]) for e in plan.errors}
    assert where == {(3, "账号"), (4, "姓名"), (5, "开户行"), (5, "账号"), (5, "启用日期")}
    assert "Luhn" in next(e.message for e in plan.errors if e.row == 3)
    with pytest.raises(ValueError):
        apply_account_import(plan, "accounts.csv")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankAccount)) == 0


def test_a_district_user_gets_the_same_answer_for_another_districts_worker_and_an_unknown_one(world):
    from tests import factories as f

    scope = {world.worker_a.district_id}
    other, unknown = world.worker_b, f.id_number("500104")
    plan = plan_account_import(
        "accounts.csv",
        _csv(
            f"{other.id_number},{other.name},中国银行,{card()},2025-01-01",
            f"{unknown},某人,中国银行,{card()},2025-01-01",
        ),
        scope,
    )
    assert [e.message for e in plan.errors][0] == [e.message for e in plan.errors][1]


def _upload(client, content: bytes):
    token = csrf_token(client, "/payments/import/accounts")
    return client.post(
        "/payments/import/accounts",
        data={"csrf_token": token, "file": (io.BytesIO(content), "accounts.csv")},
        content_type="multipart/form-data",
    )


def test_the_import_page_previews_and_applies_for_a_district_payroll_officer(client, world):
    login(client, world.payroll_a.username)
    a, number = world.worker_a, card()
    html = _upload(client, _csv(f"{a.id_number},{a.name},中国农业银行,{number},2025-01-01")).get_data(as_text=True)
    assert 'id="import-preview"' in html and _accounts(a) == set()
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    action = re.search(r'<form method="post" action="([^"]*)">\s*<input id="csrf_token"', html).group(1)
    response = client.post(action, data={"csrf_token": csrf_token(client, "/payments/import/accounts"), "token": token})
    assert response.status_code == 302
    assert db.session.query(ImportJob).one().state == JobState.done
    assert _accounts(a) == {("中国农业银行", number, date(2025, 1, 1))}
    page = client.get("/payments/accounts").get_data(as_text=True)
    assert f"{number[:4]} **** **** {number[-4:]}" in page and number not in page


def test_the_import_page_shows_every_bad_row_and_offers_no_confirm(client, world):
    login(client, world.coord_a.username)
    a = world.worker_a
    html = _upload(client, _csv(f"{a.id_number},{a.name},中国银行,{BAD_LUHN},2025-01-01")).get_data(as_text=True)
    assert 'id="import-errors"' in html and 'id="confirm-import"' not in html


def test_workers_cannot_import_accounts(client, world):
    login(client, world.worker_user.username)
    assert client.get("/payments/import/accounts").status_code == 403
    assert client.get("/payments/accounts").status_code == 403


def test_the_command_imports_or_exits_non_zero_with_every_bad_row(app, world, tmp_path):
    runner = app.test_cli_runner()
    a, number = world.worker_a, card()
    good = tmp_path / "good.csv"
    good.write_bytes(_csv(f"{a.id_number},{a.name},重庆农村商业银行,{number},2025-01-01"))
    result = runner.invoke(args=["payments", "import-accounts", str(good)])
    assert result.exit_code == 0, result.output
    assert _accounts(a) == {("重庆农村商业银行", number, date(2025, 1, 1))}
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv(f"{a.id_number},李四,重庆银行,{card()},2025-02-01"))
    result = runner.invoke(args=["payments", "import-accounts", str(bad)])
    assert result.exit_code == 1
    assert "姓名 (name)" in result.output and "nothing was written" in result.output
    assert len(_accounts(a)) == 1
