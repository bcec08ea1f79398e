"""What the API reads and answers, as marshmallow schemas: flask-smorest checks the arguments
with them, dumps the answers with them and writes the OpenAPI document from them."""

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import fields, validate

from app.allowance.models import LineKind
from app.exams.levels import Level
from app.payments.models import BankResult, Outcome

MONTH = validate.Regexp(r"^[0-9]{4}-(0[1-9]|1[0-2])$", error="A month is written YYYY-MM.")
MAX_PER_PAGE = 1000


class Money(fields.Decimal):
    """An amount in yuan as a string with two decimals ("120.00"): exact, unlike a JSON number."""

    def __init__(self, **kwargs):
        super().__init__(places=2, as_string=True, **kwargs)


class PageArgs(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1), metadata={"description": "From 1."})
    per_page = fields.Integer(
        load_default=100,
        validate=validate.Range(min=1, max=MAX_PER_PAGE),
        metadata={"description": f"Rows per page, at most {MAX_PER_PAGE}."},
    )


class MonthPageArgs(PageArgs):
    month = fields.String(validate=MONTH, metadata={"description": "Only this month (YYYY-MM)."})


class DistrictPageArgs(PageArgs):
    district = fields.String(
        validate=validate.Regexp(r"^[0-9]{6}$"),
        metadata={"description": "Only this district (its 6-digit code), within the client's districts."},
    )


class BatchPageArgs(MonthPageArgs, DistrictPageArgs):
    pass


class PageMeta(ma.Schema):
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    total = fields.Integer(required=True)
    pages = fields.Integer(required=True)
    next = fields.String(required=True, allow_none=True, metadata={"description": "The next page's URL, or null."})
    prev = fields.String(required=True, allow_none=True, metadata={"description": "The page before, or null."})


class RunSchema(ma.Schema):
    month = fields.String(required=True, metadata={"example": "2026-03"})
    state = fields.String(required=True, metadata={"description": "Always locked: only locked runs are served."})
    locked_at = fields.DateTime(required=True, allow_none=True)
    lines_url = fields.String(required=True)


class RunList(PageMeta):
    items = fields.List(fields.Nested(RunSchema), required=True)


class LineSchema(ma.Schema):
    id = fields.Integer(required=True)
    worker_id = fields.Integer(required=True)
    name = fields.String(required=True)
    id_number = fields.String(
        required=True, metadata={"description": "Masked (110105********1234) unless the client may see full numbers."}
    )
    kind = fields.Enum(LineKind, by_value=True, required=True)
    corrects_month = fields.Date(required=True, metadata={"description": "The month this line pays for."})
    district_code = fields.String(required=True, allow_none=True)
    district_name = fields.String(required=True, allow_none=True)
    street_name = fields.String(required=True, allow_none=True)
    community_name = fields.String(required=True, allow_none=True)
    level = fields.Enum(Level, by_value=True, required=True, allow_none=True)
    certificate_no = fields.String(required=True, allow_none=True)
    rate = Money(required=True, allow_none=True)
    eligible_days = fields.Integer(required=True)
    days_in_month = fields.Integer(required=True)
    amount = Money(required=True)
    ineligible = fields.String(required=True, allow_none=True)
    held = fields.Boolean(required=True)
    hold_reason = fields.String(required=True, allow_none=True)
    formula = fields.String(required=True)


class LineList(PageMeta):
    month = fields.String(required=True)
    items = fields.List(fields.Nested(LineSchema), required=True)


class BatchTotals(ma.Schema):
    workers = fields.Integer(required=True)
    lines = Money(required=True)
    carried_in = Money(required=True)
    paid = Money(required=True)
    payments = fields.Integer(required=True)
    carried_out = Money(required=True)
    exceptions = fields.Integer(required=True)


class BatchSchema(ma.Schema):
    month = fields.String(required=True)
    made_on = fields.Date(required=True)
    totals = fields.Nested(BatchTotals, required=True, metadata={"description": "Within the client's districts."})
    payments_url = fields.String(required=True)


class BatchList(PageMeta):
    items = fields.List(fields.Nested(BatchSchema), required=True)


class PaymentSchema(ma.Schema):
    id = fields.Integer(required=True)
    worker_id = fields.Integer(required=True)
    holder_name = fields.String(required=True)
    id_number = fields.String(required=True, metadata={"description": "Masked unless the client may see full numbers."})
    district_code = fields.String(required=True, allow_none=True)
    district_name = fields.String(required=True, allow_none=True)
    account_no = fields.String(
        required=True, allow_none=True, metadata={"description": "Masked (6222 **** **** 1234) unless allowed."}
    )
    bank_name = fields.String(required=True, allow_none=True)
    lines_total = Money(required=True)
    carried_in = Money(required=True)
    net = Money(required=True)
    paid = Money(required=True)
    carried_out = Money(required=True)
    outcome = fields.Enum(Outcome, by_value=True, required=True)
    bank_result = fields.Enum(
        BankResult,
        by_value=True,
        required=True,
        allow_none=True,
        metadata={"description": "What the bank's return file said: paid or returned (null: not yet known)."},
    )
    bank_reason = fields.String(required=True, allow_none=True, metadata={"description": "Why it was returned."})


class PaymentList(PageMeta):
    month = fields.String(required=True)
    items = fields.List(fields.Nested(PaymentSchema), required=True)


class ReturnUpload(ma.Schema):
    file = Upload(required=True, metadata={"description": "The bank's return file (CSV or XLSX)."})


class ReturnResult(ma.Schema):
    month = fields.String(required=True)
    rows = fields.Integer(required=True, metadata={"description": "Rows read."})
    paid = fields.Integer(required=True, metadata={"description": "Payments marked paid out."})
    returned = fields.Integer(required=True, metadata={"description": "Payments marked returned."})
    unchanged = fields.Integer(required=True, metadata={"description": "Rows already recorded (a file sent again)."})
    returned_amount = Money(required=True, metadata={"description": "Carried as payable into the next batch."})
