"""Calendars: the staff's month and week page of meetings, and a worker's feed for calendar apps."""

from flask import Response, render_template, request
from flask_login import current_user

from app.accounts.services import calendar_user
from app.core.access import COORDINATION_ROLES, roles_required
from app.core.forms import date_arg
from app.core.services import RecordNotFound
from app.core.timeutil import local_today, utcnow
from app.training import calendar as calendar_maths
from app.training import enrolment_queries, ics_feed
from app.training.blueprint import bp


@bp.route("/calendar")
@roles_required(*COORDINATION_ROLES)
def calendar():
    view = calendar_maths.WEEK if request.args.get("view") == "week" else calendar_maths.MONTH
    page = calendar_maths.calendar_view(current_user, view, date_arg("date") or local_today())
    return render_template(
        "training/calendar.html",
        view=page.view,
        days=page.days,
        by_day=page.by_day,
        anchor=page.anchor,
        prev=page.prev,
        next=page.next,
        today=local_today(),
    )


@bp.route("/calendar/<token>.ics")
def ics(token: str):
    """A calendar feed of a worker's sessions for calendar apps (the URL is the credential; it
    changes with the password and when its owner resets it)."""
    user = calendar_user(token)
    if user is None or user.worker_id is None:
        raise RecordNotFound(token)
    feed = ics_feed.training_feed(enrolment_queries.calendar_enrolments(user.worker_id), utcnow())
    return Response(feed, mimetype="text/calendar; charset=utf-8")
