"""The qualification rules of DOMAIN.md, as pure functions over one worker's passes and reviews.

- assistant: A1 and A2 both passed in one exam year;
- intermediate: I1, I2 and I3 each passed in exam year Y or Y−1 (two consecutive years);
- senior: S1 passed in year Y, then a review passed within 3 years of that exam;
- obtained_on: the results date of the year that completed the level; for senior the review date.
Only passes count: a subject the worker has not passed never contributes.
"""

from dataclasses import dataclass
from datetime import date

from app.exams.levels import Level, subjects_of


@dataclass(frozen=True)
class Pass:
    subject: str
    year: int
    results_date: date
    exam_date: date | None = None


@dataclass(frozen=True)
class Review:
    review_date: date
    passed: bool


@dataclass(frozen=True)
class Obtained:
    level: Level
    obtained_on: date
    evidence: dict


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def qualifications_from(passes: list[Pass], reviews: list[Review]) -> dict[Level, Obtained]:
    found: dict[Level, Obtained] = {}
    by_year: dict[int, dict[str, Pass]] = {}
    for p in passes:
        by_year.setdefault(p.year, {})[p.subject] = p
    for level, rule in ((Level.assistant, _assistant), (Level.intermediate, _intermediate)):
        got = rule(by_year, subjects_of(level))
        if got:
            found[level] = Obtained(level, *got)
    senior = _senior(by_year, reviews)
    if senior:
        found[Level.senior] = Obtained(Level.senior, *senior)
    return found


def _assistant(by_year, subjects):
    for year in sorted(by_year):
        if all(s in by_year[year] for s in subjects):
            results_date = by_year[year][subjects[0]].results_date
            return results_date, {"years": dict.fromkeys(subjects, year)}
    return None


def _intermediate(by_year, subjects):
    for year in sorted(by_year):
        window = (year - 1, year)
        chosen = {}
        for s in subjects:
            for y in window:
                if s in by_year.get(y, {}):
                    chosen[s] = y
                    break
        if len(chosen) == len(subjects):
            results_date = next(iter(by_year[year].values())).results_date
            return results_date, {"years": chosen}
    return None


def _senior(by_year, reviews):
    exams = sorted((year, p) for year, subjects in by_year.items() for s, p in subjects.items() if s == "S1")
    for review in sorted((r for r in reviews if r.passed), key=lambda r: r.review_date):
        for year, p in exams:
            anchor = p.exam_date or p.results_date
            if anchor <= review.review_date <= add_years(anchor, 3):
                return review.review_date, {"exam_year": year, "review": review.review_date.isoformat()}
    return None
