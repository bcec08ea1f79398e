from datetime import date
from decimal import Decimal

import pytest

from app.core.services import ServiceError
from app.exams import importers, queries, services
from app.exams.levels import Level
from app.exams.models import Qualification, QualificationSource, Registration
from app.exams.queries import RegistrationStatus
from app.extensions import db
from tests import factories as f


@pytest.fixture
def holder(app_ctx):
    w = f.worker(f.community("500103"))
    db.session.add(
        Qualification(
            worker_id=w.id,
            level=Level.intermediate,
            obtained_on=date(2023, 12, 22),
            source=QualificationSource.imported,
        )
    )
    db.session.flush()
    return w


def _status(worker, today):
    q = db.session.query(Qualification).filter_by(worker_id=worker.id).one()
    regs = db.session.query(Registration).filter_by(worker_id=worker.id).all()
    return queries.registration_status(q, regs, today)


def test_first_registration_due_within_a_year_then_not_registered(holder):
    assert _status(holder, date(2024, 6, 1)).status == RegistrationStatus.first_due
    assert _status(holder, date(2024, 6, 1)).until == date(2024, 12, 22)
    assert _status(holder, date(2025, 1, 5)).status == RegistrationStatus.not_registered


def test_a_registration_lasts_three_years_and_renewal_opens_three_months_before(holder):
    reg = services.add_registration(holder.id, Level.intermediate, date(2024, 3, 1))
    assert reg.expires_on == date(2027, 2, 28)
    assert _status(holder, date(2026, 11, 27)).status == RegistrationStatus.registered
    assert _status(holder, date(2026, 11, 28)).status == RegistrationStatus.renewal_open
    assert _status(holder, date(2027, 3, 1)).status == RegistrationStatus.lapsed
    services.add_registration(holder.id, Level.intermediate, date(2027, 3, 1))
    assert _status(holder, date(2027, 3, 1)).status == RegistrationStatus.registered


def test_registration_needs_the_qualification_and_a_date_after_it(holder):
    with pytest.raises(ServiceError):
        services.add_registration(holder.id, Level.senior, date(2024, 3, 1))
    with pytest.raises(ServiceError):
        services.add_registration(holder.id, Level.intermediate, date(2023, 1, 1))


def test_registrations_import_refuses_a_level_the_worker_does_not_hold(holder):
    kind = importers.KINDS["registrations"]
    plan = importers.plan_import(
        kind,
        "r.csv",
        f"身份证号,等级,登记日期\n{holder.id_number},senior,2024-03-01\n"
        f"{holder.id_number},社会工作师,2024-03-01\n".encode(),
    )
    assert [(e.row, "level" in e.column) for e in plan.errors] == [(2, True)]
    plan = importers.plan_import(
        kind,
        "r.csv",
        f"身份证号,等级,登记日期,有效期至\n{holder.id_number},社会工作师,2024-03-01,2027-02-28\n".encode(),
    )
    importers.apply_import(kind, plan, "r.csv")
    assert db.session.query(Registration).one().expires_on == date(2027, 2, 28)


def test_the_ce_ledger_counts_proven_hours_inside_the_period_and_flags_risk(holder):
    reg = services.add_registration(holder.id, Level.intermediate, date(2024, 3, 1))
    services.add_ce_record(holder.id, date(2024, 5, 1), Decimal("20"), "专题培训", "证明-01")
    services.add_ce_record(holder.id, date(2023, 5, 1), Decimal("50"), "之前的培训", "证明-02")  # before the period
    kind = importers.KINDS["ce"]
    plan = importers.plan_import(
        kind, "ce.csv", f"身份证号,日期,学时,内容\n{holder.id_number},2025-09-01,12.5,线上课程\n".encode()
    )
    importers.apply_import(kind, plan, "ce.csv")
    (ledger,) = queries.ce_ledgers(holder.id, [reg])
    assert ledger.required == 90 and ledger.total == Decimal("32.5")
    # 2026-06-01: under 12 months left, 32.5 h is below the pro-rata share of 90 h
    assert ledger.at_risk(date(2026, 6, 1))
    # 2025-01-01: more than 12 months left, so not (yet) at risk
    assert not ledger.at_risk(date(2025, 1, 1))


def test_ce_without_proof_is_refused(holder):
    with pytest.raises(ServiceError) as info:
        services.add_ce_record(holder.id, date(2024, 5, 1), Decimal("3"), "讲座", "")
    assert info.value.field == "proof"


def test_assistant_needs_72_hours_and_intermediate_90():
    assert Level.assistant.ce_hours == 72 and Level.local.ce_hours == 72
    assert Level.intermediate.ce_hours == 90 and Level.senior.ce_hours == 90
