"""The finance system's API: JSON, `Authorization: Bearer <token>` (auth.py checks it, limits the
rate per client and records every call). Lists are pages: ?page=&per_page= (≤ 1000), with the
next page's URL in the body and in a `Link` header."""

from http import HTTPStatus

from flask import request, url_for
from flask_babel import gettext as _
from flask_smorest import abort
from werkzeug.exceptions import HTTPException

from app.api import queries, services
from app.api.auth import current_client, require_returns_scope
from app.api.blueprint import bp
from app.api.masking import masked_lines, masked_payments
from app.api.schemas import (
    BatchList,
    BatchPageArgs,
    DistrictPageArgs,
    LineList,
    MonthPageArgs,
    PaymentList,
    ReturnResult,
    ReturnUpload,
    RunList,
)
from app.core.services import NotPermitted, RecordNotFound
from app.extensions import db
from app.payments.queries import totals

ERRORS = (401, 403, 404, 429)
LINK = {
    "Link": {
        "description": 'The next and previous pages: <URL>; rel="next", <URL>; rel="prev" (absent on a single page).',
        "schema": {"type": "string"},
    }
}


def _errors(*codes):
    """Document the error answers a route gives (each a JSON body: code, status, message)."""

    def decorator(view):
        for code in codes:
            view = bp.alt_response(code, response=HTTPStatus(code).name)(view)
        return view

    return decorator


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    """The API answers errors in JSON (flask-smorest's shape), never with the site's pages."""
    payload = {"code": error.code, "status": error.name, "message": error.description}
    data = getattr(error, "data", None) or {}
    payload["message"] = data.get("message", payload["message"])
    if "messages" in data or "errors" in data:
        payload["errors"] = data.get("errors", data.get("messages"))
    return payload, error.code, data.get("headers", {})


@bp.errorhandler(RecordNotFound)
def not_found(_error):
    message = _("There is no such record, or it is outside this client's districts.")
    return {"code": 404, "status": "Not Found", "message": message}, 404


@bp.errorhandler(NotPermitted)
def not_permitted(_error):
    return {"code": 403, "status": "Forbidden", "message": _("This client may not do this.")}, 403


def _page_links(page: queries.Page, endpoint: str, **values) -> dict:
    def link(number):
        args = {**request.args.to_dict(), "page": number, "per_page": page.per_page}
        return url_for(endpoint, **values, **args, _external=True)

    return {
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
        "next": link(page.page + 1) if page.page < page.pages else None,
        "prev": link(page.page - 1) if page.page > 1 else None,
    }


def _link_header(meta: dict) -> dict:
    links = [f'<{meta[rel]}>; rel="{rel}"' for rel in ("next", "prev") if meta[rel]]
    return {"Link": ", ".join(links)} if links else {}


@bp.route("/runs")
@bp.arguments(MonthPageArgs, location="query", as_kwargs=True)
@bp.response(200, RunList, headers=LINK)
@_errors(*ERRORS)
def runs(page: int, per_page: int, month: str | None = None):
    """Locked allowance runs, newest month first."""
    found = queries.paginate_objects(queries.locked_runs(queries.month_of(month) if month else None), page, per_page)
    meta = _page_links(found, "api.runs")
    items = [
        {
            "month": f"{run.month:%Y-%m}",
            "state": run.state.value,
            "locked_at": run.locked_at,
            "lines_url": url_for("api.run_lines", month=f"{run.month:%Y-%m}", _external=True),
        }
        for run in found.rows
    ]
    return {**meta, "items": items}, 200, _link_header(meta)


@bp.route("/runs/<month>/lines")
@bp.arguments(DistrictPageArgs, location="query", as_kwargs=True)
@bp.response(200, LineList, headers=LINK)
@_errors(*ERRORS)
def run_lines(month: str, page: int, per_page: int, district: str | None = None):
    """A locked run's lines (allowance and arrears), by district, street and worker."""
    client = current_client()
    run = queries.locked_run(month)
    found = queries.run_lines_page(run, queries.district_ids(client, district), page, per_page)
    meta = _page_links(found, "api.run_lines", month=month)
    return {**meta, "month": month, "items": masked_lines(client, found.rows)}, 200, _link_header(meta)


@bp.route("/batches")
@bp.arguments(BatchPageArgs, location="query", as_kwargs=True)
@bp.response(200, BatchList, headers=LINK)
@_errors(*ERRORS)
def batches(page: int, per_page: int, month: str | None = None, district: str | None = None):
    """Payment batches, newest month first, with their totals within the client's districts."""
    districts = queries.district_ids(current_client(), district)
    found = queries.paginate_objects(queries.batches(queries.month_of(month) if month else None), page, per_page)
    meta = _page_links(found, "api.batches")
    items = []
    for batch in found.rows:
        sums = totals(queries.batch_lines(batch, districts))
        label = f"{batch.month:%Y-%m}"
        items.append(
            {
                "month": label,
                "made_on": batch.made_on,
                "totals": {
                    "workers": sums.workers,
                    "lines": sums.lines,
                    "carried_in": sums.carried_in,
                    "paid": sums.paid,
                    "payments": sums.payments,
                    "carried_out": sums.carried_out,
                    "exceptions": sums.exceptions,
                },
                "payments_url": url_for("api.batch_payments", month=label, _external=True),
            }
        )
    return {**meta, "items": items}, 200, _link_header(meta)


@bp.route("/batches/<month>/payments")
@bp.arguments(DistrictPageArgs, location="query", as_kwargs=True)
@bp.response(200, PaymentList, headers=LINK)
@_errors(*ERRORS)
def batch_payments(month: str, page: int, per_page: int, district: str | None = None):
    """A batch's settlement per worker: paid, or carried forward (a deduction, or no valid account)."""
    client = current_client()
    batch = queries.batch(month)
    found = queries.paginate(queries.payments(batch, queries.district_ids(client, district)), page, per_page)
    meta = _page_links(found, "api.batch_payments", month=month)
    return {**meta, "month": month, "items": masked_payments(client, found.rows)}, 200, _link_header(meta)


@bp.route("/batches/<month>/returns", methods=["POST"])
@bp.arguments(ReturnUpload, location="files")
@bp.response(200, ReturnResult)
@_errors(*ERRORS, 409)
def upload_returns(upload: dict, month: str):
    """Upload the bank's return file for a batch (scope read+returns): each row marks a payment paid
    out or returned (all or nothing; rows outside the client's districts read as not in the batch).
    A file with bad rows answers 422 with every row's error, and nothing is recorded."""
    client = current_client()
    require_returns_scope(client)
    batch = queries.batch(month)
    file = upload["file"]
    try:
        result = services.import_return(client, batch, file.filename or "return.csv", file.read())
    except services.ReturnRefused as refused:
        db.session.rollback()
        abort(refused.status, message=refused.message, **({"errors": {"rows": refused.rows}} if refused.rows else {}))
    db.session.commit()
    return result
