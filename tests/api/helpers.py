"""API clients and a locked month with a payment batch, for the API tests."""

from datetime import date, timedelta

from app.allowance.rules import Month
from app.api import services
from app.api.models import ApiScope
from app.extensions import db
from app.payments import services as payments
from tests.payments.helpers import account, locked_run

JAN = Month.of(2025, 1)


def client_token(name="finance", scope=ApiScope.read, full_ids=False, districts=(), expires_on=None, today=None):
    """A new API client (committed) and its token."""
    expires_on = expires_on or (today or date.today()) + timedelta(days=30)
    client, token = services.create_client(name, scope, full_ids, [d.id for d in districts], expires_on, None)
    db.session.commit()
    return client, token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def paid_month(world, today):
    """January 2025 locked, worker A (district 500103) with an account, worker B (500104) without; batch made."""
    account(world.worker_a, today - timedelta(days=5))
    run = locked_run(JAN, {world.worker_a: "120.00", world.worker_b: ["80.00", "-10.00"]})
    batch = payments.make_batch(JAN, world.payroll_city)
    db.session.commit()
    return run, batch
