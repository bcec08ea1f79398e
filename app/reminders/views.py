import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField
from wtforms.validators import Email, Length, Optional

from app.core.access import Role, roles_required
from app.core.forms import page_number
from app.extensions import db
from app.reminders import notices
from app.reminders.blueprint import bp
from app.reminders.models import (
    KIND_LABELS,
    Channel,
    ChannelPreference,
    Delivery,
    DeliveryState,
    KindSetting,
    Notice,
    NoticeKind,
)


class PreferencesForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=255)])
    mail = BooleanField(_l("Send me notices by mail"))
    sms = BooleanField(_l("Send me notices by SMS (to my mobile in the registry)"))


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


def _preference(channel: Channel) -> bool:
    value = db.session.scalar(
        sa.select(ChannelPreference.enabled).where(
            ChannelPreference.user_id == current_user.id, ChannelPreference.channel == channel
        )
    )
    return True if value is None else value


@bp.route("/notices/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = PreferencesForm()
    if request.method == "GET":
        form.email.data = current_user.email
        form.mail.data, form.sms.data = _preference(Channel.mail), _preference(Channel.sms)
    if form.validate_on_submit():
        current_user.email = form.email.data or None
        for channel, wanted in ((Channel.mail, form.mail.data), (Channel.sms, form.sms.data)):
            row = db.session.get(ChannelPreference, (current_user.id, channel))
            if row is None:
                db.session.add(ChannelPreference(user_id=current_user.id, channel=channel, enabled=wanted))
            else:
                row.enabled = wanted
        db.session.commit()
        flash(_("Your preferences have been saved."), "success")
        return redirect(url_for("reminders.preferences"))
    return render_template("reminders/preferences.html", form=form)


@bp.route("/admin/notices", methods=["GET", "POST"])
@roles_required(Role.admin)
def admin_deliveries():
    form = FlaskForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        kind = request.form.get("kind", "")
        if kind not in NoticeKind._value2member_map_:
            abort(400)
        row = db.session.get(KindSetting, kind) or KindSetting(kind=kind, enabled=True)
        row.enabled = request.form.get("enabled") == "1"
        db.session.add(row)
        db.session.commit()
        flash(
            _(
                "Saved: %(kind)s is %(state)s.",
                kind=KIND_LABELS[NoticeKind(kind)],
                state=_("on") if row.enabled else _("off"),
            ),
            "success",
        )
        return redirect(url_for("reminders.admin_deliveries"))
    state = request.args.get("state", "")
    query = sa.select(Delivery).join(Notice).order_by(Delivery.id.desc())
    if state in DeliveryState._value2member_map_:
        query = query.where(Delivery.state == DeliveryState(state))
    page = db.paginate(query, page=page_number(request.args.get("page")), per_page=50, error_out=False)
    counts = dict(db.session.execute(sa.select(Delivery.state, sa.func.count()).group_by(Delivery.state)).all())
    off = set(db.session.scalars(sa.select(KindSetting.kind).where(KindSetting.enabled.is_(False))))
    return render_template(
        "reminders/admin.html",
        page=page,
        counts=counts,
        state=state,
        off=off,
        kinds=KIND_LABELS,
        form=form,
        text=notices.text,
    )
