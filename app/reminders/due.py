"""The due-reminders scan: what is due now, worked out from offsets to each event, so a moved
session moves its reminders (its start is part of the notice's key) and a cancelled one has
none. Set-based: one statement per kind, whatever the number of workers."""

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.accounts.models import User
from app.core.timeutil import LOCAL_TZ, local_today, to_local, utcnow
from app.extensions import db
from app.reminders.models import NoticeKind

Item = tuple[int, str, str, str, dict]


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, d)
        except ValueError:
            continue
    raise ValueError(day)


def session_reminders(now) -> list[Item]:
    """3 days and 1 day before a session's next meeting, to those enrolled (not waitlisted)."""
    from app.training.models import Enrolment, EnrolmentState, Meeting, SessionStatus, TrainingSession

    first = (
        sa.select(Meeting.session_id, sa.func.min(Meeting.starts_at).label("starts"))
        .where(Meeting.starts_at > now)
        .group_by(Meeting.session_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(
            User.id,
            TrainingSession.id,
            TrainingSession.name,
            TrainingSession.venue,
            first.c.starts,
            TrainingSession.course_id,
        )
        .join(first, first.c.session_id == TrainingSession.id)
        .join(
            Enrolment, sa.and_(Enrolment.session_id == TrainingSession.id, Enrolment.state == EnrolmentState.enrolled)
        )
        .join(User, User.worker_id == Enrolment.worker_id)
        .where(
            TrainingSession.status.not_in([SessionStatus.cancelled, SessionStatus.completed]),
            first.c.starts <= now + timedelta(days=3),
        )
    ).all()
    courses = _course_titles({r[5] for r in rows})
    items = []
    for user_id, session_id, name, venue, starts, course_id in rows:
        kind = NoticeKind.session_in_1_day if starts <= now + timedelta(days=1) else NoticeKind.session_in_3_days
        params = {
            "course": courses.get(course_id, ""),
            "session": name,
            "venue": venue,
            "when": f"{to_local(starts):%Y-%m-%d %H:%M}",
        }
        items.append((user_id, kind.value, f"session:{session_id}", starts.isoformat(), params))
    return items


def _course_titles(ids):
    from app.training.models import Course

    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Course.id, Course.title).where(Course.id.in_(ids))).all())


def exam_registration_open(today: date) -> list[Item]:
    """To workers who completed pre-exam training for a level in the last 12 months and do not hold it."""
    from app.exams.models import ExamYear, Qualification

    years = db.session.scalars(
        sa.select(ExamYear).where(ExamYear.registration_opens <= today, ExamYear.registration_closes >= today)
    ).all()
    if not years:
        return []
    rows = _pre_exam_completions(_add_months(today, -12))
    held = set(
        db.session.execute(
            sa.select(User.id, Qualification.level)
            .join(User, User.worker_id == Qualification.worker_id)
            .where(User.id.in_({uid for uid, _level in rows} or {0}))
        ).all()
    )
    return [
        (
            user_id,
            NoticeKind.exam_registration_open.value,
            f"exam_year:{year.year}",
            level.value,
            {"year": year.year, "closes": year.registration_closes.isoformat()},
        )
        for year in years
        for user_id, level in rows
        if (user_id, level) not in held
    ]


def _pre_exam_completions(since: date):
    from app.training.models import Course, Enrolment, Meeting, Track, TrainingSession

    last = (
        sa.select(Meeting.session_id, sa.func.max(Meeting.ends_at).label("last"))
        .group_by(Meeting.session_id)
        .subquery()
    )
    return db.session.execute(
        sa.select(User.id, Course.target_level)
        .distinct()
        .select_from(Enrolment)
        .join(TrainingSession, TrainingSession.id == Enrolment.session_id)
        .join(Course, Course.id == TrainingSession.course_id)
        .join(last, last.c.session_id == Enrolment.session_id)
        .join(User, User.worker_id == Enrolment.worker_id)
        .where(
            Enrolment.completed.is_(True),
            Course.track == Track.pre_exam,
            Course.target_level.is_not(None),
            last.c.last >= datetime.combine(since, time(), LOCAL_TZ),
        )
    ).all()


def first_registration_due(today: date) -> list[Item]:
    """Nine months after obtaining, still never registered (until the one-year deadline)."""
    from app.exams.models import Qualification, Registration

    registered = sa.exists().where(
        Registration.worker_id == Qualification.worker_id, Registration.level == Qualification.level
    )
    rows = db.session.execute(
        sa.select(User.id, Qualification.id, Qualification.level, Qualification.obtained_on)
        .join(User, User.worker_id == Qualification.worker_id)
        .where(
            ~registered,
            Qualification.obtained_on <= _add_months(today, -9),
            Qualification.obtained_on > _add_months(today, -12),
        )
    ).all()
    return [
        (
            uid,
            NoticeKind.first_registration_due.value,
            f"qualification:{qid}",
            obtained.isoformat(),
            {"level": level.value, "due": _add_months(obtained, 12).isoformat()},
        )
        for uid, qid, level, obtained in rows
    ]


def registration_expiring(today: date) -> list[Item]:
    """90 and 30 days before a registration ends, unless it has been renewed."""
    from sqlalchemy.orm import aliased

    from app.exams.models import Registration

    later = aliased(Registration)
    renewed = sa.exists().where(
        later.worker_id == Registration.worker_id,
        later.level == Registration.level,
        later.registered_on > Registration.registered_on,
    )
    rows = db.session.execute(
        sa.select(User.id, Registration.id, Registration.level, Registration.expires_on)
        .join(User, User.worker_id == Registration.worker_id)
        .where(~renewed, Registration.expires_on >= today, Registration.expires_on <= today + timedelta(days=90))
    ).all()
    items = []
    for uid, rid, level, expires in rows:
        kind = (
            NoticeKind.registration_expiring_30
            if expires <= today + timedelta(days=30)
            else NoticeKind.registration_expiring_90
        )
        items.append(
            (
                uid,
                kind.value,
                f"registration:{rid}",
                expires.isoformat(),
                {"level": level.value, "expires": expires.isoformat()},
            )
        )
    return items


def ce_shortfall(today: date) -> list[Item]:
    """Monthly, while a worker is at risk on continuing education."""
    from app.exams.reports import ce_at_risk
    from app.workers.models import Worker

    at_risk = ce_at_risk(sa.select(Worker), today, limit=1_000_000)
    if not at_risk:
        return []
    users = dict(
        db.session.execute(
            sa.select(User.worker_id, User.id).where(User.worker_id.in_([r.worker.id for r in at_risk]))
        ).all()
    )
    month = f"{today:%Y-%m}"
    return [
        (
            users[r.worker.id],
            NoticeKind.ce_shortfall.value,
            f"registration:{r.ledger.registration.id}",
            month,
            {
                "done": str(r.ledger.total),
                "required": r.ledger.required,
                "expires": r.ledger.registration.expires_on.isoformat(),
            },
        )
        for r in at_risk
        if r.worker.id in users
    ]


def allowance_statements() -> list[Item]:
    """To each paid worker of a locked month (the lock also sends them at once)."""
    from app.allowance.models import AllowanceLine, AllowanceRun, RunState

    since = _add_months(local_today().replace(day=1), -2)
    rows = db.session.execute(
        sa.select(User.id, AllowanceRun.id, AllowanceRun.month, sa.func.sum(AllowanceLine.amount))
        .join(AllowanceLine, AllowanceLine.run_id == AllowanceRun.id)
        .join(User, User.worker_id == AllowanceLine.worker_id)
        .where(AllowanceRun.state == RunState.locked, AllowanceRun.month >= since)
        .group_by(User.id, AllowanceRun.id, AllowanceRun.month)
        .having(sa.func.sum(AllowanceLine.amount) != 0)
    ).all()
    return [
        (
            uid,
            NoticeKind.allowance_statement.value,
            f"run:{run_id}",
            f"{month:%Y-%m}",
            {"month": f"{month:%Y-%m}", "amount": f"{amount:.2f}"},
        )
        for uid, run_id, month, amount in rows
    ]


def due_items() -> list[Item]:
    now, today = utcnow(), local_today()
    return (
        session_reminders(now)
        + exam_registration_open(today)
        + first_registration_due(today)
        + registration_expiring(today)
        + ce_shortfall(today)
        + allowance_statements()
    )
