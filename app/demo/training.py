"""Demo training: a course per track, two sessions of each a year from 2023 to last year and
this year's that have ended, all completed through the training services (attendance marked,
credit hours awarded), plus one open for enrolment next month, so that the training pages, the
workers' CE hours and the talent-plan progress show something on `make run`.

One session a year ends at 22:30 on 31 December, Beijing time (14:30 UTC): it counts in that
year, not the next. Some workers finish two sessions of one track in a year: they count once."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.core.timeutil import LOCAL_TZ, local_today, utcnow
from app.demo.copy import insert_rows
from app.exams.levels import Level
from app.extensions import db
from app.training import completion, courses, enrolment, schedule
from app.training.models import Attendance, Course, Mark, SessionStatus, Track
from app.workers.models import Worker

COURSES = (
    (Track.pre_exam, Level.assistant, "助理社会工作师考前培训", Decimal("24")),
    (Track.knowledge, None, "社会工作专业知识培训", Decimal("16")),
    (Track.backbone, None, "社区骨干能力提升班", Decimal("32")),
)
VENUES = ("市社会工作培训中心", "渝中区社区学院", "沙坪坝区党群服务中心")


def seed_training(rng: random.Random) -> None:
    if db.session.scalar(sa.select(sa.func.count(Course.id))):
        return
    worker_ids = list(db.session.scalars(sa.select(Worker.id).order_by(Worker.id)))
    if not worker_ids:
        return
    today, now = local_today(), utcnow()
    for track, level, title, hours in COURSES:
        course = courses.save_course(None, track, level, title, "", hours, Decimal(80))
        for year in range(2023, today.year + 1):
            for number, (month, day) in enumerate(((4, 14), (12, 31)), start=1):
                first = datetime(year, month, day - 1, 19, 0, tzinfo=LOCAL_TZ)
                if first.astimezone(UTC) + timedelta(days=2) > now:
                    continue
                _completed_session(rng, course, f"{year}年第{number}期", first, worker_ids)
        _open_session(course, now)
    db.session.flush()


def _meetings(first: datetime) -> list[tuple[datetime, datetime]]:
    """Two evening meetings, the last on the day after the first, ending 22:30."""
    return [(first + timedelta(days=d), first + timedelta(days=d, hours=3, minutes=30)) for d in (0, 1)]


def _completed_session(rng, course, name, first, worker_ids) -> None:
    meetings = _meetings(first)
    data = schedule.SessionData(
        name=name,
        venue=rng.choice(VENUES),
        capacity=40,
        district_id=None,
        enrol_opens=meetings[0][0] - timedelta(days=30),
        enrol_closes=meetings[0][0] - timedelta(days=1),
        meetings=meetings,
    )
    session = schedule.create_session(course, data, allowed=None)
    chosen = rng.sample(worker_ids, min(len(worker_ids), rng.randint(25, 40)))
    enrolment.bulk_enrol(session, chosen)
    rows, stamp = [], utcnow()
    for meeting in session.meetings:
        for worker_id in chosen:
            mark = Mark.present if rng.random() < 0.9 else rng.choice((Mark.late, Mark.absent))
            rows.append(
                {"meeting_id": meeting.id, "worker_id": worker_id, "mark": mark.name, "self_checkin": False}
                | {"created_at": stamp, "updated_at": stamp}
            )
    insert_rows(Attendance.__table__, rows)
    completion.complete_session(session, now=meetings[-1][1].astimezone(UTC) + timedelta(hours=1))


def _open_session(course, now) -> None:
    starts = (now + timedelta(days=30)).astimezone(LOCAL_TZ).replace(hour=9, minute=0, second=0, microsecond=0)
    data = schedule.SessionData(
        name="下期",
        venue=VENUES[0],
        capacity=50,
        district_id=None,
        enrol_opens=now - timedelta(days=1),
        enrol_closes=starts - timedelta(days=2),
        meetings=[(starts, starts + timedelta(hours=3))],
    )
    session = schedule.create_session(course, data, allowed=None)
    schedule.set_status(session, SessionStatus.open)
