from flask import abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from app.extensions import db
from app.reminders import bp, notices


@bp.app_context_processor
def unread_notices():
    if current_user and current_user.is_authenticated:
        return {"unread_notices": notices.unread_count(current_user.id)}
    return {"unread_notices": 0}


@bp.route("/notices")
@login_required
def notice_list():
    items = notices.notices_for(current_user.id)
    return render_template("reminders/notices.html", items=items, text=notices.text, form=FlaskForm())


@bp.route("/notices/read", methods=["POST"])
@bp.route("/notices/<int:notice_id>/read", methods=["POST"])
@login_required
def notice_read(notice_id: int | None = None):
    if not FlaskForm().validate_on_submit():
        abort(400)
    notices.mark_read(current_user.id, notice_id)
    db.session.commit()
    return redirect(url_for("reminders.notice_list"))
