"""Reads of the reports domain: the term (届) report, always within the user's districts.

DOMAIN.md: the 两委 members of a term are the workers in a head, deputy or member post on its
election date, or appointed to one within 90 days after it. A member is counted in the district
of that post (their first such post in the window), not of where they work today.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from app.core.access import district_scope
from app.extensions import db
from app.places.models import Community, District
from app.reports.models import Term
from app.workers.education import COLLEGE_OR_HIGHER, Education
from app.workers.models import PostPeriod, PostType, Worker

LATE_APPOINTMENT_DAYS = 90
UNDER_AGE = 50
COMMITTEE_POSTS = (PostType.head, PostType.deputy, PostType.member)


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier; 29 February falls back to the 28th."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def born_after_for_under(age: int, day: date) -> date:
    """Someone is under `age` on `day` exactly when born after this date: a person born on it
    has their birthday that day and is `age` (e.g. born 1966-11-20 is 50 on 2016-11-20)."""
    return years_before(day, age)


@dataclass
class Counts:
    members: int = 0
    under_50: int = 0
    college: int = 0

    def add(self, other: "Counts") -> None:
        self.members += other.members
        self.under_50 += other.under_50
        self.college += other.college

    @property
    def share_under_50(self) -> Decimal | None:
        return percent(self.under_50, self.members)

    @property
    def share_college(self) -> Decimal | None:
        return percent(self.college, self.members)


def percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def change(now: Decimal | None, before: Decimal | None) -> Decimal | None:
    """Percentage points between the shares as printed, so the table adds up for its reader."""
    if now is None or before is None:
        return None
    return now - before


@dataclass
class TermRow:
    code: str
    name: str
    counts: Counts
    previous: Counts | None

    @property
    def change_under_50(self) -> Decimal | None:
        return change(self.counts.share_under_50, self.previous.share_under_50 if self.previous else None)

    @property
    def change_college(self) -> Decimal | None:
        return change(self.counts.share_college, self.previous.share_college if self.previous else None)


@dataclass
class TermReport:
    term: Term
    previous_term: Term | None
    city_wide: bool
    rows: list[TermRow] = field(default_factory=list)
    total: TermRow | None = None


def _terms_table(days: list[date]):
    """One row per election date: the date, the end of its 90-day window and the birth date after
    which a member is under 50 on it (a UNION of literals: the same on PostgreSQL and SQLite)."""
    rows = [
        sa.select(
            sa.literal(day, sa.Date).label("elected_on"),
            sa.literal(day + timedelta(days=LATE_APPOINTMENT_DAYS), sa.Date).label("window_end"),
            sa.literal(born_after_for_under(UNDER_AGE, day), sa.Date).label("born_after"),
        )
        for day in days
    ]
    return (sa.union_all(*rows) if len(rows) > 1 else rows[0]).subquery("t")


def terms_counts(days: list[date], scope: set[int] | None) -> dict[date, dict[int, Counts]]:
    """One grouped query for the terms elected on `days`: {election date: {district id: Counts}}.

    Set-based: each post is joined to the terms whose window it overlaps, each worker's first
    such post per term is kept (row_number), and education is read once for all the terms as
    the day each worker first held 大专 or higher (a record without a date counts from always).
    Every join is over whole sets (hash joins), with no subquery per member: a correlated
    EXISTS per member took twice as long on 100,000 workers."""
    if not days:
        return {}
    t = _terms_table(days)
    college = (
        sa.select(
            Education.worker_id,
            sa.func.min(sa.func.coalesce(Education.obtained_on, sa.literal(date(1, 1, 1), sa.Date))).label("since"),
        )
        .where(Education.level.in_(COLLEGE_OR_HIGHER))
        .group_by(Education.worker_id)
        .subquery()
    )
    qualifying = (
        sa.select(
            t.c.elected_on,
            Community.district_id,
            sa.case((Worker.birth_date > t.c.born_after, 1), else_=0).label("under"),
            sa.case((college.c.since <= t.c.elected_on, 1), else_=0).label("college"),
            sa.func.row_number()
            .over(partition_by=(t.c.elected_on, PostPeriod.worker_id), order_by=PostPeriod.start_date)
            .label("n"),
        )
        .select_from(PostPeriod)
        .join(
            t,
            sa.and_(
                PostPeriod.start_date <= t.c.window_end,
                sa.or_(PostPeriod.end_date.is_(None), PostPeriod.end_date >= t.c.elected_on),
            ),
        )
        .join(Community, Community.id == PostPeriod.community_id)
        .join(Worker, Worker.id == PostPeriod.worker_id)
        .outerjoin(college, college.c.worker_id == PostPeriod.worker_id)
        .where(PostPeriod.post_type.in_(COMMITTEE_POSTS))
    )
    if scope is not None:
        qualifying = qualifying.where(Community.district_id.in_(scope or [0]))
    qualifying = qualifying.subquery()
    stmt = (
        sa.select(
            qualifying.c.elected_on,
            qualifying.c.district_id,
            sa.func.count(),
            sa.func.sum(qualifying.c.under),
            sa.func.sum(qualifying.c.college),
        )
        .where(qualifying.c.n == 1)
        .group_by(qualifying.c.elected_on, qualifying.c.district_id)
    )
    found: dict[date, dict[int, Counts]] = {day: {} for day in days}
    for day, district, members, under, college_count in db.session.execute(stmt):
        day = day if isinstance(day, date) else date.fromisoformat(day)  # SQLite returns the literal's text
        found[day][district] = Counts(int(members), int(under or 0), int(college_count or 0))
    return found


def term_counts(elected_on: date, scope: set[int] | None) -> dict[int, Counts]:
    """{district id: Counts} of the term elected on `elected_on`."""
    return terms_counts([elected_on], scope)[elected_on]


def terms() -> list[Term]:
    return list(db.session.scalars(sa.select(Term).order_by(Term.elected_on.desc())))


def chosen_term(terms: list[Term], wanted: int | None) -> Term | None:
    """The term asked for by id, else the latest one (terms come latest first)."""
    return next((t for t in terms if t.id == wanted), terms[0] if terms else None)


def term_by_name(name: str) -> Term | None:
    return db.session.scalar(sa.select(Term).where(Term.name == name))


def previous_term(term: Term) -> Term | None:
    return db.session.scalar(
        sa.select(Term).where(Term.elected_on < term.elected_on).order_by(Term.elected_on.desc()).limit(1)
    )


def term_report(user, term: Term) -> TermReport:
    """Members, share under 50 and share with 大专 or higher, by district and in total, beside the
    previous term's shares; within the user's districts."""
    scope = district_scope(user)
    before = previous_term(term)
    counts = terms_counts([term.elected_on] + ([before.elected_on] if before else []), scope)
    now_counts = counts[term.elected_on]
    before_counts = counts[before.elected_on] if before else {}
    report = TermReport(term=term, previous_term=before, city_wide=scope is None)
    districts = db.session.execute(
        sa.select(District.id, District.code, District.name).where(District.id.in_(list(now_counts) or [0]))
    ).all()
    total, total_before = Counts(), Counts() if before else None
    for d in sorted(districts, key=lambda d: d.code):
        previous = before_counts.get(d.id, Counts()) if before else None
        report.rows.append(TermRow(d.code, d.name, now_counts[d.id], previous))
        total.add(now_counts[d.id])
    if before:
        for counts in before_counts.values():
            total_before.add(counts)
    report.total = TermRow("", "", total, total_before)
    return report
