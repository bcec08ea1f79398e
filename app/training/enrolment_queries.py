"""Reads about who is (or may be) on a session: the workers a bulk enrolment would take, a place
on the waitlist, the sessions a worker may still join and the worker's own training."""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa

from app.core.timeutil import local_today, utcnow
from app.exams.models import Qualification
from app.extensions import db
from app.training import rules
from app.training.models import Enrolment, EnrolmentState, SessionStatus, TrainingSession
from app.training.queries import scoped_sessions
from app.workers.models import PostType, Worker
from app.workers.queries import scoped_workers


@dataclass
class BulkFilter:
    district_id: int | None = None
    street_id: int | None = None
    community_id: int | None = None
    post: PostType | None = None
    not_qualified: bool = False


def bulk_candidates(user, session: TrainingSession, f: BulkFilter) -> list[int]:
    """Ids of the workers in the user's scope, in post today, who match the filter, by name."""
    query = scoped_workers(user).where(Worker.in_post_on(local_today()))
    for column, wanted in (
        (Worker.district_id, f.district_id),
        (Worker.street_id, f.street_id),
        (Worker.community_id, f.community_id),
        (Worker.post_type, f.post),
    ):
        if wanted:
            query = query.where(column == wanted)
    level = session.course.target_level
    if f.not_qualified and level is not None:
        query = query.where(~Worker.id.in_(sa.select(Qualification.worker_id).where(Qualification.level == level)))
    return list(db.session.scalars(query.with_only_columns(Worker.id).order_by(Worker.name, Worker.id)))


def already_on(session_id: int, worker_ids: list[int]) -> int:
    """How many of these workers are on the session's list (enrolled or waiting) already."""
    if not worker_ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Enrolment.session_id == session_id,
            Enrolment.state != EnrolmentState.cancelled,
            Enrolment.worker_id.in_(worker_ids),
        )
    )


def waitlist_place(enrolment: Enrolment) -> int:
    """The enrolment's place on its session's waitlist (1 is next to be seated)."""
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            Enrolment.session_id == enrolment.session_id,
            Enrolment.state == EnrolmentState.waitlisted,
            Enrolment.position <= enrolment.position,
        )
    )


def worker_in_scope(user, id_number: str) -> Worker | None:
    """The worker with this (normalised) ID number, if the user's scope holds them."""
    return db.session.scalar(scoped_workers(user).where(Worker.id_number == id_number))


def open_for_enrolment(user, now: datetime, taken: set[int]) -> list[TrainingSession]:
    """Sessions in the user's scope whose enrolment is open now, closing soonest first, but those taken."""
    query = (
        scoped_sessions(user)
        .where(
            TrainingSession.status == SessionStatus.open,
            TrainingSession.enrol_opens <= now,
            TrainingSession.enrol_closes >= now,
        )
        .order_by(TrainingSession.enrol_closes)
    )
    return [s for s in db.session.scalars(query) if s.id not in taken]


def calendar_enrolments(worker_id: int) -> list[Enrolment]:
    """The worker's seats in sessions that still take place (a calendar feed's events)."""
    return [
        e
        for e in db.session.scalars(
            sa.select(Enrolment).where(Enrolment.worker_id == worker_id, Enrolment.state == EnrolmentState.enrolled)
        )
        if e.session.status != SessionStatus.cancelled
    ]


@dataclass
class MyTraining:
    upcoming: list[Enrolment]
    history: list[Enrolment]
    total_hours: Decimal

    @property
    def taken(self) -> set[int]:
        """The sessions the worker is on (not cancelled)."""
        return {e.session_id for e in self.upcoming + self.history if e.state != EnrolmentState.cancelled}


def my_training(worker_id: int) -> MyTraining:
    enrolments = list(
        db.session.scalars(
            sa.select(Enrolment)
            .join(TrainingSession)
            .where(Enrolment.worker_id == worker_id)
            .order_by(Enrolment.id.desc())
        )
    )
    now = utcnow()
    upcoming, history = [], []
    for e in enrolments:
        last = rules.last_meeting_end(e.session) or now
        live = not rules.is_finished(e.session)
        (upcoming if live and last >= now and e.state != EnrolmentState.cancelled else history).append(e)
    total = sum((e.hours_awarded for e in enrolments if e.completed), Decimal(0))
    return MyTraining(upcoming, history, total)
