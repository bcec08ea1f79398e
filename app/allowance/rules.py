"""The monthly professional allowance, DOMAIN.md line by line, as pure functions.

For worker w and month M (first day F, last day L, D days):
1. Level: the highest level obtained before F (paid from the next month) which, when the policy
   requires registration, has a registration covering at least one day of M.
2. Eligible days: days of M in post, intersected (registration required) with the days that
   level's registrations cover.
3. Rate: the level's rate in the district of the post on the last eligible day; a district row
   beats the city-wide one; the row in force on F applies to the whole month.
4. Amount = rate × eligible days ÷ D, rounded half-up to 0.01 (Decimal).
5. A hold keeps the line with amount 0 and the reason.
"""

import calendar
import enum
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.exams.levels import Level

CENT = Decimal("0.01")
MONTH_TEXT = re.compile(r"\d{4}-\d{2}", re.ASCII)


class Ineligible(str, enum.Enum):
    no_qualification = "no_qualification"  # nothing obtained before the month
    no_registration = "no_registration"  # no registration covers any day of the month
    not_in_post = "not_in_post"  # no day of the month in post
    no_overlap = "no_overlap"  # posts and registrations share no day
    no_rate = "no_rate"  # no rate in force for the level and district


@dataclass(frozen=True)
class Month:
    first: date

    @classmethod
    def of(cls, year: int, month: int) -> "Month":
        return cls(date(year, month, 1))

    @classmethod
    def parse(cls, text: str) -> "Month":
        """YYYY-MM in ASCII digits; ValueError for anything else (also year 0000 or month 13)."""
        text = (text or "").strip()
        if not MONTH_TEXT.fullmatch(text):
            raise ValueError(text)
        return cls.of(int(text[:4]), int(text[5:]))

    @property
    def days(self) -> int:
        return calendar.monthrange(self.first.year, self.first.month)[1]

    @property
    def last(self) -> date:
        return self.first.replace(day=self.days)

    def shift(self, months: int) -> "Month":
        index = self.first.year * 12 + self.first.month - 1 + months
        return Month.of(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.first:%Y-%m}"


@dataclass(frozen=True)
class Post:
    start: date
    end: date | None
    district_id: int
    street_id: int
    community_id: int


@dataclass(frozen=True)
class Held:
    level: Level
    obtained_on: date
    certificate_no: str | None


@dataclass(frozen=True)
class Covered:
    level: Level
    start: date
    end: date


@dataclass(frozen=True)
class Rate:
    id: int
    level: Level
    district_id: int | None
    amount: Decimal
    valid_from: date
    valid_to: date | None


@dataclass(frozen=True)
class Line:
    level: Level | None
    certificate_no: str | None
    eligible_days: int
    days_in_month: int
    rate: Decimal | None
    rate_id: int | None
    amount: Decimal
    ineligible: Ineligible | None
    district_id: int | None
    street_id: int | None
    community_id: int | None
    held: bool = False
    hold_reason: str | None = None

    @property
    def formula(self) -> str:
        if self.rate is None:
            return ""
        due = money(self.rate * self.eligible_days / self.days_in_month)
        text = f"{self.rate:.2f} × {self.eligible_days}/{self.days_in_month} = {due:.2f}"
        return text + (" → 0.00" if self.held else "")


def money(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _days(start: date, end: date | None, month: Month) -> set[int]:
    lo = max(start, month.first)
    hi = min(end or month.last, month.last)
    return set(range(lo.day, hi.day + 1)) if lo <= hi else set()


def rate_in_force(rates: list[Rate], level: Level, district_id: int, on: date) -> Rate | None:
    """A district row beats the city-wide row; among rows in force, the newest start wins."""
    for wanted in (district_id, None):
        candidates = [
            r
            for r in rates
            if r.level == level
            and r.district_id == wanted
            and r.valid_from <= on
            and (r.valid_to is None or r.valid_to >= on)
        ]
        if candidates:
            return max(candidates, key=lambda r: (r.valid_from, r.id))
    return None


def compute(
    month: Month,
    posts: list[Post],
    held: list[Held],
    covered: list[Covered],
    rates: list[Rate],
    registration_required: bool,
    hold_reason: str | None = None,
) -> Line:
    D = month.days
    obtained = [h for h in held if h.obtained_on < month.first]
    if registration_required:
        obtained = [h for h in obtained if any(c.level == h.level and _days(c.start, c.end, month) for c in covered)]
    if not obtained:
        reason = (
            Ineligible.no_registration
            if registration_required and any(h.obtained_on < month.first for h in held)
            else Ineligible.no_qualification
        )
        return _nothing(D, reason)
    top = max(obtained, key=lambda h: h.level.rank)
    in_post: dict[int, Post] = {}
    for p in sorted(posts, key=lambda p: p.start):
        for day in _days(p.start, p.end, month):
            in_post[day] = p
    if not in_post:
        return _nothing(D, Ineligible.not_in_post, top)
    days = set(in_post)
    if registration_required:
        reg_days = set().union(*(_days(c.start, c.end, month) for c in covered if c.level == top.level))
        days &= reg_days
    if not days:
        return _nothing(D, Ineligible.no_overlap, top)
    last_post = in_post[max(days)]
    rate = rate_in_force(rates, top.level, last_post.district_id, month.first)
    if rate is None:
        return _nothing(D, Ineligible.no_rate, top, last_post)
    amount = money(rate.amount * len(days) / D)
    return Line(
        top.level,
        top.certificate_no,
        len(days),
        D,
        rate.amount,
        rate.id,
        Decimal("0.00") if hold_reason else amount,
        None,
        last_post.district_id,
        last_post.street_id,
        last_post.community_id,
        held=bool(hold_reason),
        hold_reason=hold_reason,
    )


def _nothing(D: int, reason: Ineligible, top: Held | None = None, post: Post | None = None) -> Line:
    return Line(
        top.level if top else None,
        top.certificate_no if top else None,
        0,
        D,
        None,
        None,
        Decimal("0.00"),
        reason,
        post.district_id if post else None,
        post.street_id if post else None,
        post.community_id if post else None,
    )


def months_back(month: Month, count: int) -> list[Month]:
    return [month.shift(-i) for i in range(1, count + 1)]
