"""The director pay floor (居委会主任报酬最低保障, DOMAIN.md), as plain arithmetic on values the
queries hand over: no database, no request.

The floor for a month of year Y is 1.2 × the district's urban per-capita disposable income of
year Y−1 ÷ 12, rounded half-up to the fen (0.01 元). A director is judged on the pay record of
the month, however many days of it they were in post.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

FLOOR_FACTOR = Decimal("1.2")
CENT = Decimal("0.01")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def monthly_floor(yearly_income: Decimal) -> Decimal:
    """1.2 × a year's income ÷ 12, half-up to 0.01: 40,000 → 4,000.00."""
    return (Decimal(yearly_income) * FLOOR_FACTOR / 12).quantize(CENT, rounding=ROUND_HALF_UP)


def income_year(month: date) -> int:
    """The income year a month's floor is read from: the year before."""
    return month.year - 1


def average(total: Decimal, count: int) -> Decimal | None:
    return (total / count).quantize(CENT, rounding=ROUND_HALF_UP) if count else None


def parse_month(text: str | None) -> date | None:
    """`YYYY-MM` → the month's first day; None when it is not such a month."""
    found = _MONTH.match((text or "").strip())
    if not found or not 1 <= int(found.group(2)) <= 12 or not 1900 <= int(found.group(1)) <= 2100:
        return None
    return date(int(found.group(1)), int(found.group(2)), 1)


@dataclass(frozen=True)
class Director:
    """A worker in a head post of an urban community during the month, where that post was."""

    worker_id: int
    id_number: str
    name: str
    district_id: int
    community: str


@dataclass(frozen=True)
class DirectorLine:
    director: Director
    pay: Decimal | None  # None: no pay record for the month
    floor: Decimal | None  # None: the district's income of the year before is not recorded

    @property
    def shortfall(self) -> Decimal | None:
        """How far the pay is below the floor (0.01 for 3,999.99 against 4,000.00); None when not below."""
        if self.pay is None or self.floor is None or self.pay >= self.floor:
            return None
        return self.floor - self.pay


@dataclass
class DistrictLine:
    district_id: int
    code: str
    name: str
    floor: Decimal | None
    directors: int = 0
    with_pay: int = 0
    below: int = 0
    total_pay: Decimal = Decimal("0")

    @property
    def average(self) -> Decimal | None:
        return average(self.total_pay, self.with_pay)


@dataclass(frozen=True)
class YearLine:
    year: int
    records: int
    average: Decimal | None


@dataclass
class PayFloorReport:
    month: date
    city_wide: bool
    lines: list[DirectorLine] = field(default_factory=list)
    districts: list[DistrictLine] = field(default_factory=list)
    trend: list[YearLine] = field(default_factory=list)

    @property
    def below(self) -> list[DirectorLine]:
        """Directors below the floor, the largest shortfall first."""
        return sorted((x for x in self.lines if x.shortfall), key=lambda x: (-x.shortfall, x.director.id_number))

    @property
    def district_names(self) -> dict[int, str]:
        return {d.district_id: d.name for d in self.districts}

    @property
    def missing(self) -> list[DirectorLine]:
        return [x for x in self.lines if x.pay is None]


def build_report(
    month: date,
    directors: list[Director],
    pays: dict[int, Decimal],
    incomes: dict[int, Decimal],
    districts: dict[int, tuple[str, str]],
    city_wide: bool,
) -> PayFloorReport:
    """Judge each director on the month's pay record against their district's floor, and sum the
    districts. `incomes` are the year before's, by district id; `districts` is id → (code, name)."""
    floors = {d: monthly_floor(income) for d, income in incomes.items()}
    report = PayFloorReport(month=month, city_wide=city_wide)
    by_district: dict[int, DistrictLine] = {}
    for director in sorted(directors, key=lambda d: (districts[d.district_id][0], d.community, d.id_number)):
        line = DirectorLine(director, pays.get(director.worker_id), floors.get(director.district_id))
        report.lines.append(line)
        code, name = districts[director.district_id]
        row = by_district.setdefault(
            director.district_id, DistrictLine(director.district_id, code, name, floors.get(director.district_id))
        )
        row.directors += 1
        if line.pay is not None:
            row.with_pay += 1
            row.total_pay += line.pay
        if line.shortfall:
            row.below += 1
    report.districts = sorted(by_district.values(), key=lambda r: r.code)
    return report


def yearly_trend(monthly: list[tuple[date, Decimal, int]]) -> list[YearLine]:
    """(month, total pay, records) → the average monthly director pay of each year, oldest first."""
    totals: dict[int, list] = defaultdict(lambda: [Decimal("0"), 0])
    for month, total, count in monthly:
        totals[month.year][0] += Decimal(total)
        totals[month.year][1] += count
    return [YearLine(year, count, average(total, count)) for year, (total, count) in sorted(totals.items())]
