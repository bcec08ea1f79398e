"""Making and revoking API clients, and finding the client a request's token belongs to."""

import hashlib
import secrets
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.api.models import ApiClient, ApiScope
from app.core.audit import AuditAction, record
from app.core.services import ServiceError
from app.core.tabular import FileRejected
from app.core.timeutil import local_today, utcnow
from app.extensions import db
from app.payments.models import PaymentBatch
from app.payments.returns import apply_return, plan_return
from app.places.models import District

TOKEN_PREFIX = "swapi_"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """256 random bits, URL-safe, with a prefix that tells what the secret is (for secret scanners)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def create_client(
    name: str, scope: ApiScope, full_ids: bool, district_ids: list[int], expires_on: date, by: int | None
) -> tuple[ApiClient, str]:
    """A new client and its token (the only time the token exists outside the caller's hands)."""
    name = name.strip()
    if db.session.scalar(sa.select(ApiClient.id).where(ApiClient.name == name)) is not None:
        raise ServiceError(_("A client with this name already exists."), "name")
    if expires_on < local_today():
        raise ServiceError(_("The expiry date has already passed."), "expires_on")
    districts = list(db.session.scalars(sa.select(District).where(District.id.in_(district_ids or [0]))))
    token = new_token()
    client = ApiClient(
        name=name,
        token_hash=token_hash(token),
        token_prefix=token[: len(TOKEN_PREFIX) + 4],
        scope=scope,
        full_ids=full_ids,
        expires_on=expires_on,
        created_by=by,
        districts=districts,
    )
    db.session.add(client)
    db.session.flush()
    return client, token


def revoke_client(client: ApiClient, by: int | None) -> ApiClient:
    if client.revoked_at is not None:
        raise ServiceError(_("This client's token was already revoked."))
    client.revoked_at = utcnow()
    client.revoked_by = by
    db.session.flush()
    return client


def client_for_token(token: str | None) -> ApiClient | None:
    """The client whose token this is, if the token is still good today (not revoked, not expired)."""
    if not token:
        return None
    client = db.session.scalar(sa.select(ApiClient).where(ApiClient.token_hash == token_hash(token)))
    if client is None or not client.active_on(local_today()):
        return None
    return client


class ReturnRefused(ServiceError):
    """A return file not recorded: unreadable (422), rows in error (422, each row's), or another
    file marked some of the same payments meanwhile (409)."""

    def __init__(self, message: str, rows: list[dict] | None = None, status: int = 422):
        super().__init__(message)
        self.rows, self.status = rows or [], status


def import_return(client: ApiClient, batch: PaymentBatch, filename: str, data: bytes) -> dict:
    """Record a bank return file for a batch, all or nothing (flushes; the caller commits). Rows
    naming payments outside the client's districts read as payments not in the batch."""
    districts = None if client.city_wide else {d.id for d in client.districts}
    try:
        plan = plan_return(batch, filename, data, districts)
    except FileRejected as rejected:
        raise ReturnRefused(rejected.message) from None
    if not plan.ok:
        rows = [{"row": e.row, "column": e.column, "message": e.message} for e in plan.errors]
        raise ReturnRefused(_("The file has rows in error; nothing was recorded."), rows)
    try:
        counts = apply_return(plan)
    except FileRejected as rejected:
        raise ReturnRefused(rejected.message, status=409) from None
    month = f"{batch.month:%Y-%m}"
    record(AuditAction.import_, "api_client", client.id, f"API {client.name}: bank return {plan.filename} for {month}")
    returned = sum((r.amount for r in plan.returned), Decimal(0))
    return {"month": month, "rows": plan.total_rows, **counts, "returned_amount": returned}
