"""Attendance pages for staff: a meeting's roster and its marks, the meeting's check-in QR code,
and the session's sign-in sheet and roster spreadsheet."""

from flask import Response, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from app.core.access import COORDINATION_ROLES, roles_required
from app.core.actions import perform
from app.core.identity import is_ascii_digits
from app.core.timeutil import utcnow
from app.training import queries, roster_export, rules, services
from app.training.blueprint import bp
from app.training.forms import ActionForm
from app.training.models import Mark


@bp.route("/sessions/<int:session_id>/meetings/<int:meeting_id>")
@roles_required(*COORDINATION_ROLES)
def roster(session_id: int, meeting_id: int):
    meeting = queries.get_meeting(current_user, meeting_id, session_id)
    return render_template(
        "training/roster.html",
        session=meeting.session,
        meeting=meeting,
        enrolled=queries.roster(current_user, session_id),
        marks=queries.marks(current_user, [meeting.id]),
        is_open=rules.attendance_open(meeting, utcnow()),
        opens_at=rules.attendance_opens_at(meeting),
        finished=rules.is_finished(meeting.session),
        action=ActionForm(),
        Mark=Mark,
    )


def _posted_mark() -> tuple[Mark, int]:
    """The mark and the worker id of the roster's button, or 400."""
    value, worker_id = request.form.get("mark"), request.form.get("worker_id", "")
    if value not in Mark._value2member_map_ or not is_ascii_digits(worker_id) or len(worker_id) > 9:
        abort(400)
    return Mark(value), int(worker_id)


@bp.route("/sessions/<int:session_id>/meetings/<int:meeting_id>/mark", methods=["POST"])
@roles_required(*COORDINATION_ROLES)
def roster_mark(session_id: int, meeting_id: int):
    meeting = queries.get_meeting(current_user, meeting_id, session_id)
    action = ActionForm()
    if not action.validate_on_submit():
        abort(400)
    value, worker_id = _posted_mark()
    if queries.participant(current_user, session_id, worker_id) is None:
        abort(404)
    wants_json = request.accept_mimetypes.best == "application/json"
    # for a script the reason goes in the answer (on the form, not flashed); for a page, flashed
    outcome = perform(services.mark, meeting, worker_id, value, form=action if wants_json else None)
    if wants_json:
        return jsonify(ok=True, mark=value.value) if outcome else (jsonify(error=outcome.error.message), 422)
    return redirect(url_for("training.roster", session_id=session_id, meeting_id=meeting_id) + f"#w{worker_id}")


@bp.route("/meetings/<int:meeting_id>/qr.svg")
@roles_required(*COORDINATION_ROLES)
def meeting_qr(meeting_id: int):
    meeting = queries.get_meeting(current_user, meeting_id)
    url = url_for("training.checkin", code=meeting.checkin_code, _external=True)
    return Response(roster_export.checkin_qr_svg(url), mimetype="image/svg+xml")


@bp.route("/sessions/<int:session_id>/sign-in-sheet")
@roles_required(*COORDINATION_ROLES)
def signin_sheet(session_id: int):
    session = queries.get_session(current_user, session_id)
    return render_template(
        "training/signin_sheet.html",
        session=session,
        enrolled=queries.roster(current_user, session.id),
        seats=queries.seats(session.id),
    )


@bp.route("/sessions/<int:session_id>/roster.xlsx")
@roles_required(*COORDINATION_ROLES)
def roster_xlsx(session_id: int):
    session = queries.get_session(current_user, session_id)
    return Response(
        roster_export.roster_xlsx(current_user, session),
        mimetype=roster_export.XLSX_MIMETYPE,
        headers={"Content-Disposition": f"attachment; filename=roster-{session.id}.xlsx"},
    )
