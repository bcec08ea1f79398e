"""The bank's return file: payments marked paid or returned, a returned amount paid again in the
next batch (never twice, never lost), all or nothing, idempotent, and who is told."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.allowance.rules import Month
from app.core.importing import ImportJob, JobState
from app.core.tabular import FileRejected
from app.extensions import db
from app.payments import queries, services
from app.payments.models import BankResult, PaymentLine, PaymentResult
from app.payments.returns import apply_return, plan_return
from app.reminders.models import Notice
from tests.factories import csrf_token, login
from tests.payments.helpers import account, card, locked_run

JAN, FEB, MAR = Month.of(2025, 1), Month.of(2025, 2), Month.of(2025, 3)
HEADER = "账号,金额,状态,原因"


def _csv(*rows, header=HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode("gb18030")


def _paid_january(world, today):
    """January: worker_a paid 120.00 and worker_b 80.00, both to accounts; the accounts."""
    a = account(world.worker_a, today - timedelta(days=5))
    b = account(world.worker_b, today - timedelta(days=5))
    locked_run(JAN, {world.worker_a: "120.00", world.worker_b: "80.00"})
    batch = services.make_batch(JAN, world.payroll_city)
    return batch, a, b


def _line(batch, worker) -> PaymentLine:
    return db.session.scalar(
        sa.select(PaymentLine).where(PaymentLine.batch_id == batch.id, PaymentLine.worker_id == worker.id)
    )


def _results() -> dict:
    return {r.line.worker_id: (r.status, r.reason) for r in db.session.scalars(sa.select(PaymentResult))}


def test_a_returned_payment_is_paid_again_in_the_next_batch_and_only_there(world, today):
    batch, a, b = _paid_january(world, today)
    plan = plan_return(batch, "回盘.csv", _csv(f"{a.account_no},120.00,失败,账户已销户", f"{b.account_no},80.00,成功,"))
    assert plan.ok, plan.errors
    assert apply_return(plan) == {"paid": 1, "returned": 1, "unchanged": 0}
    assert _results() == {
        world.worker_a.id: (BankResult.returned, "账户已销户"),
        world.worker_b.id: (BankResult.paid, None),
    }
    locked_run(FEB, {world.worker_a: "100.00", world.worker_b: "80.00"})
    feb = services.make_batch(FEB, world.payroll_city)
    line = _line(feb, world.worker_a)
    assert (line.carried_in, line.net, line.paid) == (Decimal("120.00"), Decimal("220.00"), Decimal("220.00"))
    assert _line(feb, world.worker_b).carried_in == 0
    locked_run(MAR, {world.worker_a: "100.00"})
    mar = services.make_batch(MAR, world.payroll_city)
    assert _line(mar, world.worker_a).carried_in == 0  # never twice
    everyone = sa.select(PaymentLine)
    cumulative = queries.cumulative(world.payroll_city, mar)
    assert cumulative.reconciles and cumulative.returned == 0
    assert queries.totals(everyone).paid - Decimal("120.00") == cumulative.paid


def test_a_return_recorded_after_the_next_batch_is_carried_by_the_batch_after_it(world, today):
    batch, a, _b = _paid_january(world, today)
    locked_run(FEB, {world.worker_a: "100.00"})
    feb = services.make_batch(FEB, world.payroll_city)
    apply_return(plan_return(batch, "r.csv", _csv(f"{a.account_no},120.00,失败,户名不符")))
    assert queries.cumulative(world.payroll_city, feb).returned == Decimal("120.00")
    assert queries.cumulative(world.payroll_city, feb).reconciles
    locked_run(MAR, {world.worker_a: "100.00"})
    mar = services.make_batch(MAR, world.payroll_city)
    assert _line(mar, world.worker_a).paid == Decimal("220.00")
    assert queries.cumulative(world.payroll_city, mar).reconciles


def test_rows_may_name_the_id_number_instead_of_the_account(world, today):
    batch, _a, _b = _paid_january(world, today)
    plan = plan_return(batch, "r.csv", _csv(f"{world.worker_b.id_number},80,失败,", header="身份证号,金额,状态,原因"))
    assert plan.ok, plan.errors
    apply_return(plan)
    assert _results() == {world.worker_b.id: (BankResult.returned, None)}


def test_bad_rows_are_reported_each_and_nothing_is_written(world, today):
    batch, a, b = _paid_january(world, today)
    plan = plan_return(
        batch,
        "r.csv",
        _csv(
            f"{a.account_no},120.00,成功,",
            f"{card()},50.00,失败,账户不存在",  # an account the batch did not pay
            f"{b.account_no},81.00,失败,",  # the amount differs
            f"{a.account_no},120.00,成功,",  # the same payment twice
            f"{b.account_no},80.00,处理中,",  # an unknown status
        ),
    )
    assert not plan.ok
    where = {(e.row, e.column.split(" ")[0]) for e in plan.errors}
    assert where == {(3, "账号"), (4, "金额"), (5, "账号"), (6, "状态")}
    assert "81.00" in next(e.message for e in plan.errors if e.row == 4)
    assert "80.00" in next(e.message for e in plan.errors if e.row == 4)
    with pytest.raises(ValueError):
        apply_return(plan)
    assert _results() == {}


def test_a_worker_not_in_the_batch_or_carried_in_it_is_a_row_error(world, today):
    account(world.worker_a, today - timedelta(days=5))
    locked_run(JAN, {world.worker_a: "120.00", world.worker_b: "80.00"})  # worker_b: no account, carried
    batch = services.make_batch(JAN, world.payroll_city)
    plan = plan_return(
        batch, "r.csv", _csv(f"{world.worker_b.id_number},80.00,失败,", header="身份证号,金额,状态,原因")
    )
    assert [(e.row, e.column.split(" ")[0]) for e in plan.errors] == [(2, "身份证号")]


def test_reimporting_the_same_file_changes_nothing_and_a_recorded_result_is_never_flipped(world, today):
    batch, a, b = _paid_january(world, today)
    data = _csv(f"{a.account_no},120.00,成功,")
    apply_return(plan_return(batch, "r.csv", data))
    again = plan_return(batch, "r.csv", data)
    assert again.ok and not again.has_changes and again.unchanged == 1
    # a later file may mark the payment still pending; it may not turn paid into returned
    later = plan_return(batch, "r2.csv", _csv(f"{a.account_no},120.00,失败,账户冻结", f"{b.account_no},80.00,失败,"))
    assert [(e.row, e.column.split(" ")[0]) for e in later.errors] == [(2, "状态")]
    pending_only = plan_return(batch, "r2.csv", _csv(f"{b.account_no},80.00,失败,账户冻结"))
    assert apply_return(pending_only) == {"paid": 0, "returned": 1, "unchanged": 0}
    assert _results()[world.worker_a.id] == (BankResult.paid, None)


def test_a_file_without_the_account_or_id_column_is_refused(world, today):
    batch, _a, _b = _paid_january(world, today)
    with pytest.raises(FileRejected):
        plan_return(batch, "r.csv", _csv("120.00,成功,", header="金额,状态,原因"))


def test_payroll_and_the_worker_are_told_of_a_return_once(world, today):
    batch, a, _b = _paid_january(world, today)
    data = _csv(f"{a.account_no},120.00,失败,账户已销户")
    apply_return(plan_return(batch, "r.csv", data))
    apply_return(plan_return(batch, "r.csv", data))  # nothing new: nobody is told again
    told = {(n.user_id, n.kind) for n in db.session.scalars(sa.select(Notice))}
    assert (world.worker_user.id, "payment_returned") in told
    assert (world.payroll_city.id, "batch_returns") in told
    assert (world.payroll_a.id, "batch_returns") in told  # worker_a is in payroll_a's district
    assert (world.worker_user_b.id, "payment_returned") not in told
    notice = db.session.scalar(sa.select(Notice).where(Notice.kind == "payment_returned"))
    assert notice.params["reason"] == "账户已销户"
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(Notice).where(Notice.kind == "payment_returned")) == 1
    )


def test_the_worker_and_payroll_read_the_return_in_their_notices(app, client, world, today):
    batch, a, _b = _paid_january(world, today)
    apply_return(plan_return(batch, "r.csv", _csv(f"{a.account_no},120.00,失败,账户已销户")))
    db.session.commit()
    login(client, world.worker_user.username)
    page = client.get("/notices").get_data(as_text=True)
    assert "120.00 元被银行退回（账户已销户）" in page and "请核对您的银行账户" in page
    payroll = app.test_client()
    login(payroll, world.payroll_city.username)
    assert "银行退回了 2025-01 批次的 1 笔发放（120.00 元）" in payroll.get("/notices").get_data(as_text=True)


def test_payroll_is_told_when_a_batch_is_made_with_exceptions(world, today):
    account(world.worker_a, today - timedelta(days=5))
    locked_run(JAN, {world.worker_a: "120.00", world.worker_b: "80.00"})
    services.make_batch(JAN, world.payroll_city)
    notice = db.session.scalar(
        sa.select(Notice).where(Notice.kind == "batch_exceptions", Notice.user_id == world.payroll_city.id)
    )
    assert notice.params == {"month": "2025-01", "count": 1, "amount": "80.00"}
    assert not db.session.scalar(
        sa.select(Notice).where(Notice.kind == "batch_exceptions", Notice.user_id == world.payroll_a.id)
    )  # worker_b is not in payroll_a's district


def _cli_file(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def test_the_command_imports_or_exits_non_zero_with_the_reasons(app, world, today, tmp_path):
    batch, a, _b = _paid_january(world, today)
    db.session.commit()
    runner = app.test_cli_runner()
    bad = _cli_file(tmp_path, "bad.csv", _csv(f"{a.account_no},99.00,失败,"))
    result = runner.invoke(args=["payments", "import-return", "2025-01", bad])
    assert result.exit_code == 1
    assert "金额 (amount)" in result.output and "nothing was written" in result.output
    assert _results() == {}
    good = _cli_file(tmp_path, "good.csv", _csv(f"{a.account_no},120.00,失败,账户已销户"))
    result = runner.invoke(args=["payments", "import-return", "2025-01", good])
    assert result.exit_code == 0, result.output
    assert "returned 1" in result.output
    assert runner.invoke(args=["payments", "import-return", "2025-01", good]).exit_code == 0
    assert runner.invoke(args=["payments", "import-return", "2025-02", good]).exit_code == 1  # no batch


def _upload(client, content: bytes):
    token = csrf_token(client, "/payments/batches/2025-01/returns")
    return client.post(
        "/payments/batches/2025-01/returns",
        data={"csrf_token": token, "file": (io.BytesIO(content), "回盘.csv")},
        content_type="multipart/form-data",
    )


def test_the_page_previews_confirms_and_the_batch_page_counts_paid_returned_and_pending(client, world, today):
    _batch, a, _b = _paid_january(world, today)
    db.session.commit()
    login(client, world.payroll_city.username)
    bad = _upload(client, _csv(f"{a.account_no},1.00,失败,")).get_data(as_text=True)
    assert 'id="import-errors"' in bad and 'id="confirm-import"' not in bad
    html = _upload(client, _csv(f"{a.account_no},120.00,失败,账户已销户")).get_data(as_text=True)
    assert 'id="import-preview"' in html and _results() == {}
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    action = re.search(r'<form method="post" action="([^"]*)">\s*<input id="csrf_token"', html).group(1)
    token_page = "/payments/batches/2025-01/returns"
    response = client.post(action, data={"csrf_token": csrf_token(client, token_page), "token": token})
    assert response.status_code == 302
    assert db.session.query(ImportJob).one().state == JobState.done
    page = client.get("/payments/batches/2025-01").get_data(as_text=True)
    assert re.search(r'id="results-returned"[^>]*>.*?<td[^>]*>1</td><td[^>]*>120\.00</td>', page, re.S)
    assert re.search(r'id="results-pending"[^>]*>.*?<td[^>]*>1</td><td[^>]*>80\.00</td>', page, re.S)
    assert re.search(r'id="results-paid"[^>]*>.*?<td[^>]*>0</td><td[^>]*>0\.00</td>', page, re.S)
    assert "账户已销户" in page.split('id="returns"')[1].split("</table>")[0]


def test_a_district_payroll_officer_cannot_import_returns(client, db, world, today):
    _paid_january(world, today)
    db.session.commit()
    login(client, world.payroll_a.username)
    assert client.get("/payments/batches/2025-01/returns").status_code == 403
    html = client.get("/payments/batches/2025-01").get_data(as_text=True)
    assert 'id="import-return"' not in html and 'id="bank-results"' in html


def test_the_worker_sees_paid_out_and_returned_with_the_reason(client, world, today):
    batch, a, _b = _paid_january(world, today)
    apply_return(plan_return(batch, "r.csv", _csv(f"{a.account_no},120.00,失败,账户已销户")))
    db.session.commit()
    login(client, world.worker_user.username)
    rows = client.get("/payments/mine").get_data(as_text=True).split('id="my-payments"')[1]
    assert "账户已销户" in rows and ("退回" in rows or "Returned" in rows)


def test_a_district_scoped_plan_reads_another_districts_payment_as_unknown(world, today):
    batch, a, b = _paid_january(world, today)
    scope = {world.worker_a.district_id}
    plan = plan_return(batch, "r.csv", _csv(f"{a.account_no},120.00,成功,", f"{b.account_no},80.00,成功,"), scope)
    assert [(e.row, e.column.split(" ")[0]) for e in plan.errors] == [(3, "账号")]


def test_two_files_planned_at_once_record_a_payment_once(world, today):
    batch, a, _b = _paid_january(world, today)
    first = plan_return(batch, "r1.csv", _csv(f"{a.account_no},120.00,成功,"))
    second = plan_return(batch, "r2.csv", _csv(f"{a.account_no},120.00,失败,户名不符"))
    apply_return(first)
    with pytest.raises(FileRejected):
        apply_return(second)
    assert _results() == {world.worker_a.id: (BankResult.paid, None)}


def test_the_import_job_of_someone_not_city_wide_payroll_fails_and_writes_nothing(world, today):
    from app.core.importing import KINDS

    batch, a, _b = _paid_january(world, today)
    kind = KINDS["bank_return"]
    data = _csv(f"{a.account_no},120.00,成功,")
    with pytest.raises(FileRejected):
        kind.plan("2025-01:r.csv", data, world.payroll_a)
    with pytest.raises(FileRejected):
        kind.plan("2025-07:r.csv", data, world.payroll_city)  # no batch that month
    assert kind.plan("2025-01:r.csv", data, world.payroll_city).ok
    assert _results() == {} and batch
