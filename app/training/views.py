"""The training pages. Importing this module adds every training route to the blueprint: the
modules below each hold the pages of one part of the work."""

from app.training import (
    views_attendance,
    views_calendar,
    views_courses,
    views_enrolment,
    views_sessions,
    views_worker,
)
from app.training.blueprint import bp

__all__ = [
    "bp",
    "views_attendance",
    "views_calendar",
    "views_courses",
    "views_enrolment",
    "views_sessions",
    "views_worker",
]
