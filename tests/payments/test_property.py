"""Random sequences of months, lines, accounts and the bank's returns: nothing is lost or paid twice."""

from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.allowance.rules import Month
from app.payments import queries, services
from app.payments.models import PaymentBatch, PaymentLine, PaymentResult
from app.payments.returns import apply_return, plan_return
from tests.payments.helpers import account, locked_run

cents = st.integers(-50000, 50000).map(lambda n: Decimal(n).scaleb(-2))
month_lines = st.lists(cents, min_size=0, max_size=3)  # a worker's lines in one month (may be none)
worker_plan = st.tuples(
    st.lists(month_lines, min_size=5, max_size=5),
    st.one_of(st.none(), st.integers(0, 4)),  # the month before whose batch an account is added
)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.tuples(worker_plan, worker_plan))
def test_paid_plus_carried_equals_the_lines_and_nothing_is_paid_twice(db, world, today, plans):
    workers = [world.worker_a, world.worker_b]
    savepoint = db.session.begin_nested()
    try:
        balance = {w.id: Decimal("0.00") for w in workers}
        lines_total = {w.id: Decimal("0.00") for w in workers}
        paid_total = {w.id: Decimal("0.00") for w in workers}
        has_account = {w.id: False for w in workers}
        for k in range(5):
            month = Month.of(2025, 1 + k)
            amounts = {}
            for w, (months, account_at) in zip(workers, plans, strict=True):
                if account_at == k:
                    account(w, today)
                    has_account[w.id] = True
                if months[k]:
                    amounts[w] = [str(a) for a in months[k]]
                    lines_total[w.id] += sum(months[k])
            locked_run(month, amounts)
            batch = services.make_batch(month, world.payroll_city)
            rows = {
                r.worker_id: r
                for r in db.session.scalars(sa.select(PaymentLine).where(PaymentLine.batch_id == batch.id))
            }
            for w in workers:
                # the reference: a running balance, paid out whole when positive and an account exists
                balance[w.id] += sum(Decimal(a) for a in amounts.get(w, []))
                expected_paid = balance[w.id] if balance[w.id] > 0 and has_account[w.id] else Decimal("0.00")
                balance[w.id] -= expected_paid
                row = rows.get(w.id)
                paid = row.paid if row else Decimal("0.00")
                carried = row.carried_out if row else Decimal("0.00")
                assert paid == expected_paid
                assert carried == balance[w.id]
                paid_total[w.id] += paid
                assert paid_total[w.id] + carried == lines_total[w.id]
        count = db.session.scalar(sa.select(sa.func.count()).select_from(PaymentLine).where(PaymentLine.paid > 0))
        distinct = db.session.scalar(
            sa.select(sa.func.count(sa.distinct(sa.tuple_(PaymentLine.batch_id, PaymentLine.worker_id)))).where(
                PaymentLine.paid > 0
            )
        )
        assert count == distinct  # one payment per worker and batch at most
    finally:
        savepoint.rollback()


# ---- with the bank's returns: a returned payment is paid again by the next batch made after the
# return was recorded; never twice, never lost ----

returning = st.sampled_from([None, None, 0, 1])  # no return, returned before the next batch, or after it
worker_plan_with_returns = st.tuples(
    st.lists(month_lines, min_size=5, max_size=5),
    st.one_of(st.none(), st.integers(0, 4)),
    st.lists(returning, min_size=5, max_size=5),  # what the bank does with each month's payment
)


def _return(batch, line, reason="账户已销户"):
    """Record through the import itself that the bank returned this payment."""
    data = f"账号,金额,状态,原因\r\n{line.account_no},{line.paid:.2f},失败,{reason}\r\n".encode("gb18030")
    plan = plan_return(batch, "回盘.csv", data)
    assert plan.ok, plan.errors
    apply_return(plan)


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.tuples(worker_plan_with_returns, worker_plan_with_returns))
def test_with_returns_paid_plus_carried_equals_the_lines_and_nothing_is_paid_twice(db, world, today, plans):
    workers = [world.worker_a, world.worker_b]
    savepoint = db.session.begin_nested()
    try:
        balance = {w.id: Decimal("0.00") for w in workers}  # the reference: what is owed now
        lines_total = {w.id: Decimal("0.00") for w in workers}
        kept = {w.id: Decimal("0.00") for w in workers}  # paid and not returned
        has_account = {w.id: False for w in workers}
        due_returns = {}  # month index when the return is recorded → [(batch, line)]
        for k in range(5):
            month = Month.of(2025, 1 + k)
            amounts = {}
            for w, (months, account_at, _returns) in zip(workers, plans, strict=True):
                if account_at == k:
                    account(w, today)
                    has_account[w.id] = True
                if months[k]:
                    amounts[w] = [str(a) for a in months[k]]
                    lines_total[w.id] += sum(months[k])
            locked_run(month, amounts)
            batch = services.make_batch(month, world.payroll_city)
            rows = {
                r.worker_id: r
                for r in db.session.scalars(sa.select(PaymentLine).where(PaymentLine.batch_id == batch.id))
            }
            for w, (_months, _account_at, returns) in zip(workers, plans, strict=True):
                balance[w.id] += sum(Decimal(a) for a in amounts.get(w, []))
                expected_paid = balance[w.id] if balance[w.id] > 0 and has_account[w.id] else Decimal("0.00")
                balance[w.id] -= expected_paid
                row = rows.get(w.id)
                assert (row.paid if row else Decimal("0.00")) == expected_paid
                kept[w.id] += expected_paid
                if expected_paid > 0 and returns[k] is not None:
                    due_returns.setdefault(k + returns[k], []).append((batch, row))
            for earlier, row in due_returns.pop(k, []):  # the bank's file, before the next batch
                _return(earlier, row)
                balance[row.worker_id] += row.paid
                kept[row.worker_id] -= row.paid
            waiting = {w.id: Decimal("0.00") for w in workers}
            for result in db.session.scalars(
                sa.select(PaymentResult).where(PaymentResult.carried_to_batch_id.is_(None))
            ):
                waiting[result.line.worker_id] += result.amount
            for w in workers:
                row = rows.get(w.id)
                carried = row.carried_out if row else Decimal("0.00")
                assert carried + waiting[w.id] == balance[w.id]
                assert kept[w.id] + carried + waiting[w.id] == lines_total[w.id]  # never lost, never twice
            assert queries.cumulative(world.payroll_city, batch).reconciles
        into = sa.orm.aliased(PaymentBatch)
        misplaced = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(PaymentResult)
            .join(PaymentBatch, PaymentBatch.id == PaymentResult.batch_id)
            .join(into, into.id == PaymentResult.carried_to_batch_id)
            .where(into.month <= PaymentBatch.month)
        )
        assert misplaced == 0  # a return is carried only into a batch after its own
    finally:
        savepoint.rollback()
