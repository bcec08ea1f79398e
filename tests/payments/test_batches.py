from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from app.allowance.models import RunState
from app.allowance.rules import Month
from app.core.services import ServiceError
from app.payments import queries, services
from app.payments.models import Outcome, PaymentBatch, PaymentLine
from tests.payments.helpers import account, locked_run

JAN, FEB, MAR = Month.of(2025, 1), Month.of(2025, 2), Month.of(2025, 3)


def line_of(db, batch, worker) -> PaymentLine:
    return db.session.scalar(
        sa.select(PaymentLine).where(PaymentLine.batch_id == batch.id, PaymentLine.worker_id == worker.id)
    )


def test_arrears_larger_than_the_allowance_carry_a_deduction_then_the_next_month_pays_the_rest(db, world, today):
    account(world.worker_a, today - timedelta(days=400))
    locked_run(JAN, {world.worker_a: ["100.00", "-150.00"]})
    jan = services.make_batch(JAN, world.payroll_city)
    first = line_of(db, jan, world.worker_a)
    assert (first.paid, first.carried_out, first.outcome) == (Decimal("0.00"), Decimal("-50.00"), Outcome.deduction)

    locked_run(FEB, {world.worker_a: "200.00"})
    feb = services.make_batch(FEB, world.payroll_city)
    second = line_of(db, feb, world.worker_a)
    assert (second.carried_in, second.paid, second.carried_out) == (
        Decimal("-50.00"),
        Decimal("150.00"),
        Decimal("0.00"),
    )
    assert second.outcome == Outcome.paid


def test_no_account_carries_as_payable_and_is_paid_in_the_first_batch_after_one_is_added(db, world, today):
    locked_run(JAN, {world.worker_a: "300.00"})
    jan = services.make_batch(JAN, world.payroll_city)
    first = line_of(db, jan, world.worker_a)
    assert (first.paid, first.carried_out, first.outcome) == (Decimal("0.00"), Decimal("300.00"), Outcome.no_account)
    assert queries.totals(queries.scoped_lines(world.payroll_city, jan)).exceptions == 1

    account(world.worker_a, today)
    locked_run(FEB, {world.worker_a: "300.00"})
    feb = services.make_batch(FEB, world.payroll_city)
    second = line_of(db, feb, world.worker_a)
    assert (second.paid, second.carried_out, second.outcome) == (Decimal("600.00"), Decimal("0.00"), Outcome.paid)
    assert second.account_no is not None and second.holder_name == world.worker_a.name


def test_an_account_valid_only_from_a_later_day_is_not_used(db, world, today):
    account(world.worker_a, today + timedelta(days=1))
    locked_run(JAN, {world.worker_a: "100.00"})
    assert line_of(db, services.make_batch(JAN, world.payroll_city), world.worker_a).outcome == Outcome.no_account


def test_the_account_valid_on_the_batch_day_is_the_latest_that_started(db, world, today):
    account(world.worker_a, today - timedelta(days=100), number="4111111111111111")
    newer = account(world.worker_a, today - timedelta(days=10))
    account(world.worker_a, today + timedelta(days=10), number="5555555555554444")
    locked_run(JAN, {world.worker_a: "100.00"})
    assert line_of(db, services.make_batch(JAN, world.payroll_city), world.worker_a).account_no == newer.account_no


def test_a_second_batch_for_the_same_month_is_refused_and_nothing_changes(db, world, today):
    account(world.worker_a, today)
    locked_run(JAN, {world.worker_a: "100.00"})
    services.make_batch(JAN, world.payroll_city)
    db.session.commit()
    with pytest.raises(ServiceError, match="已经生成"):
        services.make_batch(JAN, world.payroll_city)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentBatch)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentLine)) == 1


def test_the_database_refuses_a_second_batch_for_a_month_too(db, world):
    run = locked_run(JAN, {world.worker_a: "100.00"})
    db.session.add(PaymentBatch(month=JAN.first, run_id=run.id, made_on=JAN.last))
    db.session.flush()
    with pytest.raises(sa.exc.IntegrityError), db.session.begin_nested():
        db.session.add(PaymentBatch(month=JAN.first, run_id=run.id, made_on=JAN.last))
        db.session.flush()


def test_only_a_locked_month_is_paid(db, world):
    locked_run(JAN, {world.worker_a: "100.00"}, state=RunState.approved)
    with pytest.raises(ServiceError, match="尚未锁定"):
        services.make_batch(JAN, world.payroll_city)
    with pytest.raises(ServiceError, match="尚未锁定"):
        services.make_batch(FEB, world.payroll_city)


def test_batches_are_made_in_month_order(db, world):
    locked_run(JAN, {world.worker_a: "100.00"})
    locked_run(FEB, {world.worker_a: "100.00"})
    locked_run(MAR, {world.worker_a: "100.00"})
    services.make_batch(FEB, world.payroll_city)  # the first batch may start anywhere
    with pytest.raises(ServiceError, match="月份顺序"):
        services.make_batch(JAN, world.payroll_city)
    locked_run(Month.of(2025, 4), {world.worker_a: "100.00"})
    with pytest.raises(ServiceError, match="2025-03"):
        services.make_batch(Month.of(2025, 4), world.payroll_city)


@pytest.mark.parametrize("who", ["payroll_a", "coord_city", "admin"])
def test_only_a_city_wide_payroll_officer_makes_a_batch(db, world, who):
    locked_run(JAN, {world.worker_a: "100.00"})
    with pytest.raises(ServiceError):
        services.make_batch(JAN, getattr(world, who))


def test_the_batch_totals_reconcile_and_a_district_officer_sees_their_districts(db, world, today):
    account(world.worker_a, today)
    locked_run(JAN, {world.worker_a: "120.00", world.worker_b: "80.00"})
    batch = services.make_batch(JAN, world.payroll_city)
    city = queries.totals(queries.scoped_lines(world.payroll_city, batch))
    assert (city.lines, city.paid, city.payable, city.reconciles) == (
        Decimal("200.00"),
        Decimal("120.00"),
        Decimal("80.00"),
        True,
    )
    district = queries.totals(queries.scoped_lines(world.payroll_a, batch))
    assert (district.workers, district.lines) == (1, Decimal("120.00"))
