"""Reads for the talent-plan progress page (progress.py builds the tables), within the user's
districts and "as of" a day, so the same day gives the same figures after later imports.

A worker counts in the district of the post they held on the day asked about (their latest
post started by then), not of where they work today: a transfer imported later moves nobody
out of an earlier figure.
"""

from datetime import date

import sqlalchemy as sa

from app.core.access import district_scope
from app.core.timeutil import LOCAL_TZ
from app.exams.models import Qualification
from app.exams.reports import Rate, pass_rates
from app.extensions import db
from app.places.models import Community, District
from app.reports.progress import (
    LEVELS,
    CertifiedTable,
    ProgressReport,
    Target,
    TrainingTable,
    certified_table,
    day_end,
    year_end,
    year_start,
)
from app.reports.progress_models import DEFAULT_PLAN_NAME, DEFAULT_TARGET, TalentPlan
from app.training.models import Course, Enrolment, Meeting, SessionStatus, TrainingSession
from app.workers.models import PostPeriod, Worker


def talent_plan() -> TalentPlan:
    """The plan's row; before an admin has one, the default (unsaved)."""
    plan = db.session.scalar(sa.select(TalentPlan).order_by(TalentPlan.id).limit(1))
    return plan or TalentPlan(name=DEFAULT_PLAN_NAME, target=DEFAULT_TARGET)


def district_on(day: date, among: sa.Select | None = None) -> sa.Subquery:
    """(worker_id, district_id): the district of each worker's latest post started by `day`;
    with `among` (a select of worker ids), only those workers' posts are ranked."""
    ranked = (
        sa.select(
            PostPeriod.worker_id,
            Community.district_id,
            sa.func.row_number()
            .over(partition_by=PostPeriod.worker_id, order_by=(PostPeriod.start_date.desc(), PostPeriod.id.desc()))
            .label("n"),
        )
        .join(Community, Community.id == PostPeriod.community_id)
        .where(PostPeriod.start_date <= day)
    )
    if among is not None:
        ranked = ranked.where(PostPeriod.worker_id.in_(among))
    ranked = ranked.subquery()
    return sa.select(ranked.c.worker_id, ranked.c.district_id).where(ranked.c.n == 1).subquery()


def _in_scope(worker_id, scope: set[int] | None, day: date, among: sa.Select | None = None):
    """SQL: the worker was in one of the districts on `day` (always true city-wide); `among`
    narrows the posts ranked to the workers who can count at all."""
    if scope is None:
        return sa.true()
    where = district_on(day, among)
    return worker_id.in_(sa.select(where.c.worker_id).where(where.c.district_id.in_(scope or [0])))


def _completers() -> sa.Select:
    return sa.select(Enrolment.worker_id).where(Enrolment.completed.is_(True))


def _completions(scope: set[int] | None, as_of: date) -> sa.Select:
    """(worker_id, track, last): each completion of a completed session whose last meeting ended
    by the end of `as_of` (Beijing); the session counts on its last meeting, as CE hours do."""
    last = (
        sa.select(Meeting.session_id, sa.func.max(Meeting.ends_at).label("last"))
        .group_by(Meeting.session_id)
        .subquery()
    )
    return (
        sa.select(Enrolment.worker_id, Course.track, last.c.last)
        .join(TrainingSession, TrainingSession.id == Enrolment.session_id)
        .join(Course, Course.id == TrainingSession.course_id)
        .join(last, last.c.session_id == Enrolment.session_id)
        .where(
            Enrolment.completed.is_(True),
            TrainingSession.status == SessionStatus.completed,
            last.c.last < day_end(as_of),
            _in_scope(Enrolment.worker_id, scope, as_of, among=_completers()),
        )
    )


def training_table(user, as_of: date) -> TrainingTable:
    """Distinct workers per track and Beijing year, per track in total, and for any track."""
    done = _completions(district_scope(user), as_of).subquery()
    first = db.session.scalar(sa.select(sa.func.min(done.c.last)))
    if first is None:
        return TrainingTable(years=[])
    first_year = _local_year(first)
    years = list(range(first_year, as_of.year + 1))
    year = sa.case(*[(done.c.last < year_start(y + 1), y) for y in years], else_=as_of.year).label("year")
    dated = sa.select(done.c.worker_id, done.c.track, year).subquery()
    distinct = sa.func.count(sa.distinct(dated.c.worker_id))
    table = TrainingTable(years=years)
    for track, y, n in db.session.execute(
        sa.select(dated.c.track, dated.c.year, distinct).group_by(dated.c.track, dated.c.year)
    ):
        table.by_year[(track, y)] = n
    table.any_by_year = dict(db.session.execute(sa.select(dated.c.year, distinct).group_by(dated.c.year)).all())
    table.total = dict(db.session.execute(sa.select(dated.c.track, distinct).group_by(dated.c.track)).all())
    table.any_total = db.session.scalar(sa.select(distinct)) or 0
    return table


def _local_year(instant) -> int:
    """The Beijing year of an instant; in SQL, years are ranges of instants (no database time zones)."""
    return instant.astimezone(LOCAL_TZ).year


def plan_target(table: TrainingTable) -> Target:
    plan = talent_plan()
    return Target(plan.name, plan.target, table.any_total)


def certified(user, year: int, as_of: date) -> CertifiedTable:
    """Workers holding a qualification obtained by the year's end (or as_of, if sooner), counted
    once at their highest level, in the district of their post on that day."""
    day = year_end(year, as_of)
    rank = sa.case({lv: n for n, lv in enumerate(LEVELS)}, value=Qualification.level)
    highest = (
        sa.select(Qualification.worker_id, sa.func.max(rank).label("rank"))
        .where(Qualification.obtained_on <= day)
        .group_by(Qualification.worker_id)
        .subquery()
    )
    where = district_on(day, among=sa.select(highest.c.worker_id))
    stmt = (
        sa.select(District.code, District.name, highest.c.rank, sa.func.count())
        .join(where, where.c.worker_id == highest.c.worker_id)
        .join(District, District.id == where.c.district_id)
        .group_by(District.code, District.name, highest.c.rank)
    )
    scope = district_scope(user)
    if scope is not None:
        stmt = stmt.where(District.id.in_(scope or [0]))
    rows = [(code, name, LEVELS[rank], n) for code, name, rank, n in db.session.execute(stmt)]
    return certified_table(year, day, rows)


def certified_by_year(user, as_of: date, years: int = 5) -> list[CertifiedTable]:
    """The certified table at the end of each of the last `years` years (the current one as of
    `as_of`), oldest first: the trend beside the district table."""
    return [certified(user, year, as_of) for year in range(as_of.year - years + 1, as_of.year + 1)]


def exam_rates(user, as_of: date) -> list[Rate]:
    """Pass rates by exam year: the exams overview's figure (app/exams/reports.py), for the
    workers in the user's districts on `as_of`, over the years whose results were out by then."""
    workers = sa.select(Worker).where(_in_scope(Worker.id, district_scope(user), as_of))
    return pass_rates(workers, "year", results_by=as_of)


def progress_report(user, as_of: date, year: int) -> ProgressReport:
    training = training_table(user, as_of)
    return ProgressReport(
        as_of=as_of,
        year=year,
        city_wide=district_scope(user) is None,
        training=training,
        target=plan_target(training),
        certified=certified(user, year, as_of),
        certified_years=certified_by_year(user, as_of),
        exams=exam_rates(user, as_of),
    )
