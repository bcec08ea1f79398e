"""Resident ID numbers (GB 11643), mobile numbers and digit codes: the one place for their rules.

Digits are the ASCII 0-9 only. Python's \\d, str.isdigit() and int() also accept other digit
sets (٥, ５, ²...), which would let one number be stored twice in two spellings. So typed text is
first NFKC-normalised, which turns a full-width paste (５００１０３…, Ｘ) into the same ASCII number;
digit sets NFKC does not map (Arabic-Indic ٥٠٠…, Devanagari…) are refused with a message saying so.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from app.core.timeutil import local_today

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_ID_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$")
_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_SEPARATORS = re.compile(r"[\s-]")


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
    number = normalize_text(raw).upper()
    refuse_other_digits(number)
    if not _ID_SHAPE.match(number):
        raise InvalidIdentity(_l("An ID number has 18 characters: 17 digits and a digit or X."))
    try:
        birth = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdentity(_l("The birth date inside the ID number does not exist.")) from None
    if birth.year < 1900 or birth > local_today():
        raise InvalidIdentity(_l("The birth date inside the ID number does not exist."))
    if check_character(number[:17]) != number[17]:
        raise InvalidIdentity(_l("The ID number's check character is wrong."))
    return ResidentId(number=number, birth_date=birth, sex="M" if int(number[16]) % 2 else "F")


def mask_id_number(number: str | None) -> str:
    if not number:
        return ""
    return number[:6] + "*" * 8 + number[-4:]


def normalize_mobile(raw: str) -> str:
    phone = _SEPARATORS.sub("", normalize_text(raw))
    refuse_other_digits(phone)
    for prefix in ("+86", "0086"):
        if phone.startswith(prefix):
            phone = phone[len(prefix) :]
            break
    if not _MOBILE.match(phone):
        raise InvalidIdentity(_l("A mobile number has 11 digits and starts with 13 to 19."))
    return phone


def normalize_digit_code(raw: str, length: int) -> str:
    """A code of `length` digits typed or pasted by a person (a check-in code)."""
    code = _SEPARATORS.sub("", normalize_text(raw))
    refuse_other_digits(code)
    if len(code) != length or not is_ascii_digits(code):
        raise InvalidIdentity(_l("A code has %(n)d digits.", n=length))
    return code


def normalize_text(raw) -> str:
    """NFKC (full-width letters and digits become ASCII, an ideographic space a space), stripped."""
    return unicodedata.normalize("NFKC", raw or "").strip()


def is_ascii_digits(text: str) -> bool:
    """True for "0"-"9" only; str.isdigit() alone is also true for "٥" or "²"."""
    return bool(text) and text.isascii() and text.isdigit()


def parse_int(raw, lowest: int, highest: int) -> int | None:
    """A whole number written in ASCII digits within [lowest, highest], or None (bad or out of range)."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not is_ascii_digits(text) or len(text) > 18:
        return None
    number = int(text)
    return number if lowest <= number <= highest else None


def refuse_other_digits(text: str) -> None:
    """Digits of other scripts, after NFKC (which has mapped full-width and superscript ones)."""
    if any(c.isdigit() and not c.isascii() for c in text):
        raise InvalidIdentity(
            _l("Type numbers with the digits 0 to 9; other digit sets (such as ٠١٢) are not accepted.")
        )


def make_id_number(area: str, birth: date, sequence: int) -> str:
    """Build a valid ID number (demo data and tests)."""
    first17 = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)
