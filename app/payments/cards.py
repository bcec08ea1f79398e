"""Bank card numbers: 16–19 ASCII digits passing the Luhn check; masked as `6222 **** **** 1234`."""

import re

from flask_babel import gettext as _

_DIGITS = re.compile(r"[0-9]{16,19}")
_SEPARATORS = re.compile(r"[\s-]")


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check over a string of ASCII digits."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def parse_card_number(raw: str) -> str:
    """The card number without spaces or dashes; ValueError with a translated message when bad."""
    number = _SEPARATORS.sub("", raw or "")
    if not _DIGITS.fullmatch(number):
        raise ValueError(_("a card number has 16 to 19 digits"))
    if not luhn_ok(number):
        raise ValueError(_("the card number fails its check digit (Luhn); check it against the card"))
    return number


def mask_card_number(number: str | None) -> str:
    if not number:
        return ""
    return f"{number[:4]} **** **** {number[-4:]}"
