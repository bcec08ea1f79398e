"""Talent-plan progress, the part without a database: the years a report covers, their bounds in
Beijing time, and the tables built from the counts the queries return (progress_queries.py).

DOMAIN.md: distinct workers who completed a session of each track, by year and in total,
against a target; certified workers by level and district at a year's end; exam pass rates.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from app.core.timeutil import LOCAL_TZ
from app.exams.levels import Level
from app.exams.reports import Rate
from app.training.models import Track

TRACKS = tuple(Track)
LEVELS = tuple(Level)


def day_end(day: date) -> datetime:
    """The instant a Beijing day ends (the next midnight, exclusive)."""
    return datetime.combine(day + timedelta(days=1), time(), LOCAL_TZ)


def year_start(year: int) -> datetime:
    """The instant a Beijing year begins: 1 January 00:00 in Asia/Shanghai (16:00 UTC the day before)."""
    return datetime.combine(date(year, 1, 1), time(), LOCAL_TZ)


def year_end(year: int, as_of: date) -> date:
    """The last day of `year` a report as of `as_of` can see: 31 December, or as_of itself."""
    return min(date(year, 12, 31), as_of)


def share(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass
class TrainingTable:
    """Distinct workers who completed a session, per (track, year), per track in total, and for
    any track; a total is distinct over the years, never their sum."""

    years: list[int]
    by_year: dict[tuple[Track, int], int] = field(default_factory=dict)
    any_by_year: dict[int, int] = field(default_factory=dict)
    total: dict[Track, int] = field(default_factory=dict)
    any_total: int = 0

    def cell(self, track: Track | None, year: int | None) -> int:
        if track is None:
            return self.any_total if year is None else self.any_by_year.get(year, 0)
        return self.total.get(track, 0) if year is None else self.by_year.get((track, year), 0)

    def rows(self) -> list[tuple[int | None, list[int], int]]:
        """(year or None for the total, a count per track, any track)."""
        return [(year, [self.cell(t, year) for t in TRACKS], self.cell(None, year)) for year in [*self.years, None]]


@dataclass
class Target:
    name: str
    target: int
    reached: int

    @property
    def percent(self) -> Decimal:
        return share(self.reached, self.target) or Decimal(0)

    @property
    def bar_percent(self) -> float:
        return float(min(self.percent, Decimal(100)))

    @property
    def remaining(self) -> int:
        return max(self.target - self.reached, 0)


@dataclass
class CertifiedRow:
    code: str
    name: str
    counts: dict[Level, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class CertifiedTable:
    """Certified workers at a year's end by their highest level held then, per district."""

    year: int
    day: date
    rows: list[CertifiedRow] = field(default_factory=list)

    @property
    def total(self) -> CertifiedRow:
        return CertifiedRow("", "", {lv: sum(r.counts.get(lv, 0) for r in self.rows) for lv in LEVELS})


def certified_table(year: int, day: date, counts: list[tuple[str, str, Level, int]]) -> CertifiedTable:
    """From (district code, district name, level, workers) rows; districts in code order."""
    by_district: dict[tuple[str, str], dict[Level, int]] = {}
    for code, name, level, n in counts:
        by_district.setdefault((code, name), dict.fromkeys(LEVELS, 0))[level] += n
    rows = [CertifiedRow(code, name, levels) for (code, name), levels in sorted(by_district.items())]
    return CertifiedTable(year, day, rows)


@dataclass
class ProgressReport:
    as_of: date
    year: int
    city_wide: bool
    training: TrainingTable
    target: Target
    certified: CertifiedTable
    certified_years: list[CertifiedTable]  # the city-wide (or districts') total at each year's end
    exams: list[Rate]  # by exam year, from the exams overview's figure
