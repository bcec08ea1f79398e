"""Each API request: who is calling (the bearer token), how often (a rate limit per client), and
the record of the call (client, route, status), written whatever the answer was."""

from flask import current_app, g, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_smorest import abort

from app.api.blueprint import bp
from app.api.models import ApiCall, ApiClient
from app.api.services import client_for_token
from app.core.guard import has_control_character
from app.core.timeutil import utcnow
from app.extensions import db, limiter

DEFAULT_RATE_LIMIT = "600 per minute"
_NOT_LOOKED_UP = object()


def bearer_token() -> str | None:
    kind, _space, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if kind.lower() == "bearer" and token.strip() else None


def current_client() -> ApiClient | None:
    """The calling client (looked up once per request), or None when the token is missing, unknown,
    revoked or expired: the four look the same to the caller."""
    client = g.get("api_client", _NOT_LOOKED_UP)
    if client is _NOT_LOOKED_UP:
        client = g.api_client = client_for_token(bearer_token())
    return client


def rate_limit_key() -> str:
    client = current_client()
    return f"api-client:{client.id}" if client is not None else f"api-anonymous:{get_remote_address()}"


def rate_limit() -> str:
    return current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT)


limiter.limit(rate_limit, key_func=rate_limit_key)(bp)


def _unauthorised():
    abort(
        401,
        message=_("A valid API token is required: it is missing, unknown, revoked or expired."),
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


@bp.before_request
def require_client() -> None:
    if current_client() is None:
        _unauthorised()


def require_returns_scope(client: ApiClient) -> None:
    if not client.may_upload_returns:
        abort(403, message=_("This client's token may read only; uploading bank returns needs the read+returns scope."))


def _printable(text: str, limit: int) -> str:
    """Text as the record keeps it: control characters (a NUL cannot be stored) shown as �."""
    return "".join("\ufffd" if has_control_character(c) else c for c in text)[:limit]


@bp.after_request
def record_call(response):
    """Every call leaves a row. It commits with what a successful read wrote (the audit entry of
    an export of full numbers); after a refusal or a failure nothing else is kept."""
    client = g.get("api_client")
    client = client if isinstance(client, ApiClient) else None
    if response.status_code >= 400:
        db.session.rollback()
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    db.session.add(
        ApiCall(
            client_id=client.id if client else None,
            method=request.method[:8],
            route=_printable(rule, 120),
            path=_printable(request.full_path.rstrip("?"), 500),
            status=response.status_code,
            ip=request.remote_addr,
        )
    )
    if client is not None:
        client.last_used_at = utcnow()
    db.session.commit()
    return response
