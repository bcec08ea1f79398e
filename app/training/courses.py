"""Writes for courses: what a course teaches, its credit hours and its completion threshold."""

from decimal import Decimal

from flask_babel import gettext as _

from app.core.services import ServiceError
from app.exams.levels import Level
from app.extensions import db
from app.training.models import Course, Track


def save_course(
    course: Course | None,
    track: Track,
    target_level: Level | None,
    title: str,
    description: str,
    credit_hours: Decimal,
    threshold_percent: Decimal,
    created_by_id: int | None = None,
) -> Course:
    title = (title or "").strip()
    if not title:
        raise ServiceError(_("The title is required."), "title")
    if credit_hours is None or credit_hours <= 0 or credit_hours > 500:
        raise ServiceError(_("Credit hours must be more than 0 and at most 500."), "credit_hours")
    if threshold_percent is None or not Decimal(1) <= threshold_percent <= Decimal(100):
        raise ServiceError(_("The completion threshold is a percentage from 1 to 100."), "threshold")
    if track == Track.pre_exam and target_level is None:
        raise ServiceError(_("Pre-exam training names the level it prepares for."), "target_level")
    course = course or Course(created_by_id=created_by_id)
    course.track, course.title, course.description = track, title[:120], (description or "").strip()
    course.target_level = target_level if track == Track.pre_exam else None
    course.credit_hours = credit_hours.quantize(Decimal("0.1"))
    course.completion_threshold = (threshold_percent / 100).quantize(Decimal("0.001"))
    db.session.add(course)
    db.session.flush()
    return course
