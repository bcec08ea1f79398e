"""Runs through the services on the real database: states, holds, arrears, exports."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.allowance import compute, services
from app.allowance.exporter import export_run
from app.allowance.models import AllowanceLine, AllowanceRun, LineKind, RunState
from app.allowance.rules import Month
from app.core.access import Role
from app.core.audit import AuditLog
from app.core.services import ServiceError
from app.exams.levels import Level
from app.exams.models import Qualification, QualificationSource, Registration
from app.extensions import db
from tests import factories as f


@pytest.fixture
def people(app_ctx):
    class P:
        pass

    p = P()
    p.comm = f.community("500103")
    p.payroll1 = f.user(Role.payroll, "pay1", city_wide=True)
    p.payroll2 = f.user(Role.payroll, "pay2", city_wide=True)
    return p


def qualify(
    worker,
    level=Level.assistant,
    obtained=date(2024, 12, 20),
    registered=date(2025, 1, 10),
    expires=None,
    certificate="Z-1",
):
    db.session.add(
        Qualification(
            worker_id=worker.id,
            level=level,
            obtained_on=obtained,
            certificate_no=certificate,
            source=QualificationSource.imported,
        )
    )
    db.session.flush()
    if registered:
        from app.exams.services import add_registration

        add_registration(worker.id, level, registered, expires)


def run_month(month: str, user=None):
    m = Month.parse(month)
    run, districts = services.start_compute(m, user.id if user else None)
    for d in districts:
        compute.compute_part(run.id, d)
    services.finish_if_complete(run.id)
    db.session.flush()
    return run


def close(run, p):
    services.submit(run, p.payroll1.id)
    services.approve(run, p.payroll2.id)
    services.lock(run, p.payroll2.id)


def lines(run, worker=None):
    q = sa.select(AllowanceLine).where(AllowanceLine.run_id == run.id)
    if worker is not None:
        q = q.where(AllowanceLine.worker_id == worker.id)
    return list(db.session.scalars(q.order_by(AllowanceLine.kind, AllowanceLine.corrects_month)))


def test_one_run_per_month_is_a_database_constraint(people):
    db.session.add(AllowanceRun(month=date(2026, 4, 1), state=RunState.draft))
    db.session.flush()
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(AllowanceRun(month=date(2026, 4, 1), state=RunState.draft))
        db.session.flush()


def test_computing_twice_never_duplicates_a_line(people):
    w = f.worker(people.comm, start=date(2020, 1, 1))
    qualify(w)
    run = run_month("2026-04")
    first = [(line.worker_id, line.amount) for line in lines(run)]
    run_month("2026-04")
    assert [(line.worker_id, line.amount) for line in lines(run)] == first == [(w.id, Decimal("200.00"))]


def test_the_worked_example_of_a_start_mid_april(people):
    w = f.worker(people.comm, start=date(2026, 4, 10))
    qualify(w)
    (line,) = lines(run_month("2026-04"), w)
    assert line.formula == "200.00 × 21/30 = 140.00" and line.certificate_no == "Z-1" and line.rate_id


def test_approval_needs_a_second_payroll_officer_and_a_locked_run_refuses_every_change(people):
    w = f.worker(people.comm, start=date(2020, 1, 1))
    qualify(w)
    run = run_month("2026-04", people.payroll1)
    services.submit(run, people.payroll1.id)
    with pytest.raises(ServiceError):
        services.approve(run, people.payroll1.id)
    services.approve(run, people.payroll2.id)
    services.lock(run, people.payroll2.id)
    for attempt in (
        lambda: services.start_compute(Month.parse("2026-04"), people.payroll1.id),
        lambda: services.add_hold(w.id, Month.parse("2026-04"), "x"),
        lambda: services.submit(run, people.payroll1.id),
        lambda: services.return_to_draft(run, people.payroll1.id),
        lambda: services.lock(run, people.payroll1.id),
    ):
        with pytest.raises(ServiceError):
            attempt()
    assert compute.compute_part(run.id, None) == 0  # a stray task does nothing to a locked run
    assert [line.amount for line in lines(run)] == [Decimal("200.00")]


def test_a_hold_keeps_the_line_at_zero_with_its_reason(people):
    w = f.worker(people.comm, start=date(2020, 1, 1))
    qualify(w)
    services.add_hold(w.id, Month.parse("2026-04"), "待核查")
    (line,) = lines(run_month("2026-04"), w)
    assert line.amount == 0 and line.held and line.hold_reason == "待核查"


def test_arrears_after_a_late_qualification_are_posted_once(people):
    w = f.worker(people.comm, start=date(2020, 1, 1))
    for month in ("2026-06", "2026-07", "2026-08"):
        close(run_month(month), people)
    qualify(w, obtained=date(2026, 5, 3), registered=date(2026, 5, 20))
    september = run_month("2026-09")
    got = [(line.kind, line.corrects_month, line.amount) for line in lines(september, w)]
    assert got == [
        (LineKind.allowance, date(2026, 9, 1), Decimal("200.00")),
        (LineKind.arrears, date(2026, 6, 1), Decimal("200.00")),
        (LineKind.arrears, date(2026, 7, 1), Decimal("200.00")),
        (LineKind.arrears, date(2026, 8, 1), Decimal("200.00")),
    ]
    # October computed before September is locked: nothing is posted twice...
    october = run_month("2026-10")
    assert [line.kind for line in lines(october, w)] == [LineKind.allowance]
    # ...nor after September is locked
    close(september, people)
    october = run_month("2026-10")
    assert [line.kind for line in lines(october, w)] == [LineKind.allowance]


def test_negative_arrears_when_a_paid_month_turns_out_not_due(people):
    w = f.worker(people.comm, start=date(2020, 1, 1))
    qualify(w)
    close(run_month("2026-04"), people)
    db.session.execute(sa.delete(Registration).where(Registration.worker_id == w.id))
    may = run_month("2026-05")
    got = [(line.kind, line.amount) for line in lines(may, w)]
    assert got == [(LineKind.allowance, Decimal("0.00")), (LineKind.arrears, Decimal("-200.00"))]


def test_exports_for_finance_and_the_bank(people):
    a = f.worker(people.comm, name="=HYPERLINK(1)", start=date(2020, 1, 1))
    b = f.worker(f.community("500104"), name="李娜", start=date(2020, 1, 1))
    qualify(a)
    qualify(b, level=Level.intermediate)
    run = run_month("2026-04")
    close(run, people)
    query = sa.select(AllowanceLine).where(AllowanceLine.run_id == run.id)
    content, digest = export_run(query, run, "xlsx")
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[2][:3] == ("月份", "区县代码", "区县")  # below the title and the "made at, by" line
    names = [r[7] for r in rows[3:] if len(r) > 7]
    assert "'=HYPERLINK(1)" in names and "李娜" in names
    assert names.count("街道小计") == 2 and names.count("区县合计") == 2
    (total,) = [r for r in rows if len(r) > 7 and r[7] == "总计"]
    assert float(total[12]) == 500.0
    text = export_run(query, run, "csv", "en")[0]
    assert text.startswith(b"\xef\xbb\xbf")
    parsed = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert parsed[0][0] == "month" and len(parsed) == 3  # header + two lines, no subtotals
    assert {row[12] for row in parsed[1:]} == {"200.00", "300.00"}
    entry = db.session.query(AuditLog).filter_by(entity_type="allowance_run", action="export").first()
    assert digest in entry.summary


def test_the_review_totals_survive_a_line_without_a_level(people):
    from app.allowance import queries

    w = f.worker(people.comm, start=date(2020, 1, 1))
    qualify(w)
    close(run_month("2026-04"), people)
    db.session.execute(sa.delete(Qualification).where(Qualification.worker_id == w.id))
    may = run_month("2026-05")
    totals = queries.totals_by(sa.select(AllowanceLine).where(AllowanceLine.run_id == may.id), "level")
    assert [(t.label, t.amount) for t in totals] == [("—", Decimal("-200.00"))]


def test_lines_keep_awkward_text_exactly(people):
    w = f.worker(people.comm, start=date(2020, 1, 1))
    qualify(w, certificate="Z\\1\t2")
    reason = "核查\t中\\待定\n下月"
    services.add_hold(w.id, Month.parse("2026-04"), reason)
    (line,) = lines(run_month("2026-04"), w)
    assert line.hold_reason == reason and line.certificate_no == "Z\\1\t2" and line.held
