"""Small helpers shared by forms and views: validators for numbers, ID numbers, mobiles and codes,
and reading whole numbers from query parameters."""

from datetime import date
from decimal import Decimal

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation, ValidationError

from app.core.identity import (
    InvalidIdentity,
    normalize_digit_code,
    normalize_mobile,
    normalize_text,
    parse_id_number,
    parse_int,
    refuse_other_digits,
)

MAX_ID = 2**31 - 1  # the largest value of an INTEGER column
# Dates anyone types here fall in this span; past it, date arithmetic (a day later, three years
# later) overflows Python's date.
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(2100, 12, 31)


def page_number(raw) -> int:
    return parse_int(raw, 1, 100000) or 1


def int_arg(name: str, lowest: int = 1, highest: int = MAX_ID) -> int | None:
    """A whole-number query parameter; None when it is missing, not a number or out of range."""
    return parse_int(request.args.get(name), lowest, highest)


def date_arg(name: str) -> date | None:
    """A YYYY-MM-DD query parameter; None when it is missing, not a date or out of EARLIEST..LATEST_DATE."""
    try:
        day = date.fromisoformat((request.args.get(name) or "").strip())
    except ValueError:
        return None
    return day if EARLIEST_DATE <= day <= LATEST_DATE else None


class InRange:
    """A required number from `lowest` to `highest` (or optional, when `required` is False).

    Used instead of DataRequired + NumberRange: DataRequired calls 0 "required" and hides
    "not a number" behind "required"; NumberRange raises on a signalling NaN ("sNaN"), a 500.
    Every bad value here gets the message naming the range.
    """

    def __init__(self, lowest, highest, required: bool = True):
        # Decimal("0.1"), not the float 0.1, which is a little more than 0.1 and would refuse it.
        self.lowest, self.highest = Decimal(str(lowest)), Decimal(str(highest))
        self.required = required
        self.field_flags = {"required": True} if required else {}

    def __call__(self, _form, field):
        field.errors[:] = []  # "not a valid decimal value" says less than the range does
        raw = normalize_text(field.raw_data[0]) if field.raw_data else ""
        if not raw and field.data is None:
            if self.required:
                raise StopValidation(self._message())
            raise StopValidation()
        try:
            refuse_other_digits(raw)
        except InvalidIdentity as exc:
            raise StopValidation(str(exc)) from None
        data = field.data
        finite = data is not None and (not isinstance(data, Decimal) or data.is_finite())
        if not (finite and self.lowest <= data <= self.highest):
            raise StopValidation(self._message())

    def _message(self):
        return _l("Give a number from %(min)s to %(max)s.", min=self.lowest, max=self.highest)


class _Normalising:
    """Checks a typed value and, when it is good, replaces it by its one canonical spelling."""

    def __call__(self, _form, field):
        if not field.data or not str(field.data).strip():
            return
        try:
            field.data = self.normalise(field.data)
        except InvalidIdentity as exc:
            raise ValidationError(str(exc)) from None

    def normalise(self, raw: str) -> str:
        raise NotImplementedError


class IdNumber(_Normalising):
    def normalise(self, raw):
        return parse_id_number(raw).number


class Mobile(_Normalising):
    def normalise(self, raw):
        return normalize_mobile(raw)


class DigitCode(_Normalising):
    def __init__(self, length: int):
        self.length = length

    def normalise(self, raw):
        return normalize_digit_code(raw, self.length)
