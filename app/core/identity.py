"""Resident ID numbers (GB 11643) and mobile numbers, the one place for their rules."""

import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")


class InvalidIdentity(ValueError):
    """Carries a lazily translated message for the user."""


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    sex: str  # "M" or "F"


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def parse_id_number(raw: str) -> ResidentId:
    """Validate an 18-digit resident ID; lower-case x is accepted and stored upper-case.

    The area code is deliberately not checked against the current list: old codes stay
    valid on old IDs.
    """
    number = (raw or "").strip().upper()
    if not _ID_SHAPE.match(number):
        raise InvalidIdentity(_l("An ID number has 18 characters: 17 digits and a digit or X."))
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdentity(_l("The birth date inside the ID number does not exist.")) from None
    if birth.year < 1900 or birth > date.today():
        raise InvalidIdentity(_l("The birth date inside the ID number does not exist."))
    if check_character(number[:17]) != number[17]:
        raise InvalidIdentity(_l("The ID number's check character is wrong."))
    return ResidentId(number=number, birth_date=birth, sex="M" if int(number[16]) % 2 else "F")


def mask_id_number(number: str | None) -> str:
    if not number:
        return ""
    return number[:6] + "*" * 8 + number[-4:]


def normalize_mobile(raw: str) -> str:
    phone = re.sub(r"[\s-]", "", raw or "")
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :]
            break
    if not _MOBILE.match(phone):
        raise InvalidIdentity(_l("A mobile number has 11 digits and starts with 13 to 19."))
    return phone


def make_id_number(area: str, birth: date, sequence: int) -> str:
    """Build a valid ID number (demo data and tests)."""
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
