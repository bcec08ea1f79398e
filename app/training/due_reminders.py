"""Training's part of the due-reminders scan (registered with app/reminders/due.py by the
factory): reminders before a session's meetings."""

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from app.accounts.models import User
from app.core.timeutil import LOCAL_TZ, add_months, to_local
from app.exams.models import ExamYear, Qualification
from app.extensions import db
from app.reminders import offsets
from app.reminders.due import Item
from app.reminders.models import NoticeKind
from app.training import rules
from app.training.models import Course, Enrolment, EnrolmentState, Meeting, Track, TrainingSession


def session_reminders(now) -> list[Item]:
    """3 days and 1 day before a session's next meeting, to those enrolled (not waitlisted)."""
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
            TrainingSession.status.not_in(rules.FINISHED),
            first.c.starts <= now + timedelta(days=offsets.days_before(NoticeKind.session_in_3_days)),
        )
    ).all()
    courses = _course_titles({r[5] for r in rows})
    items, near = [], now + timedelta(days=offsets.days_before(NoticeKind.session_in_1_day))
    for user_id, session_id, name, venue, starts, course_id in rows:
        kind = NoticeKind.session_in_1_day if starts <= near else NoticeKind.session_in_3_days
        params = {
            "course": courses.get(course_id, ""),
            "session": name,
            "venue": venue,
            "when": f"{to_local(starts):%Y-%m-%d %H:%M}",
        }
        items.append((user_id, kind.value, f"session:{session_id}", starts.isoformat(), params))
    return items


def _course_titles(ids):
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(Course.id, Course.title).where(Course.id.in_(ids))).all())


def pre_exam_completions(since: date):
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


def exam_registration_open(today: date) -> list[Item]:
    """To workers who completed pre-exam training for a level in the last 12 months and do not hold it."""
    years = db.session.scalars(
        sa.select(ExamYear).where(ExamYear.registration_opens <= today, ExamYear.registration_closes >= today)
    ).all()
    if not years:
        return []
    rows = pre_exam_completions(add_months(today, -12))
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


def find_due(now: datetime, today: date) -> list[Item]:
    return session_reminders(now) + exam_registration_open(today)
