"""Random sequences of months, lines and accounts: nothing is lost or paid twice."""

from decimal import Decimal

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.allowance.rules import Month
from app.payments import services
from app.payments.models import PaymentLine
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
