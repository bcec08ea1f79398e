from flask import abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField
from wtforms.validators import Email, Length, Optional

from app.core.access import Role, roles_required
from app.core.actions import perform
from app.core.forms import InRange, page_number
from app.reminders import notices, offsets, queries, services
from app.reminders.blueprint import bp
from app.reminders.models import KIND_LABELS, Channel, NoticeKind


class PreferencesForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=255)])
    mail = BooleanField(_l("Send me notices by mail"))
    sms = BooleanField(_l("Send me notices by SMS (to my mobile in the registry)"))


class OffsetForm(FlaskForm):
    """How many days before its event one reminder kind is due."""

    kind = HiddenField()
    days = IntegerField(_l("Days before"), validators=[InRange(offsets.FEWEST_DAYS, offsets.MOST_DAYS)])


@bp.app_context_processor
def unread_notices():
    if not (current_user and current_user.is_authenticated):
        return {"unread_notices": 0}
    # Counted once a request: a record page renders a template per section, each would count again.
    if "unread_notices" not in g:
        g.unread_notices = notices.unread_count(current_user.id)
    return {"unread_notices": g.unread_notices}


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
    perform(services.mark_read, current_user.id, notice_id)
    return redirect(url_for("reminders.notice_list"))


@bp.route("/notices/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    form = PreferencesForm()
    if request.method == "GET":
        form.email.data = current_user.email
        form.mail.data = queries.wants(current_user.id, Channel.mail)
        form.sms.data = queries.wants(current_user.id, Channel.sms)
    if form.validate_on_submit():
        done = perform(
            services.save_preferences,
            current_user,
            form.email.data,
            form.mail.data,
            form.sms.data,
            form=form,
            success=_("Your preferences have been saved."),
        )
        if done:
            return redirect(url_for("reminders.preferences"))
    return render_template("reminders/preferences.html", form=form)


@bp.route("/admin/notices", methods=["GET", "POST"])
@roles_required(Role.admin)
def admin_deliveries():
    form, offset_form = FlaskForm(), None
    if request.method == "POST":
        if "days" in request.form:  # an offset's form; the other forms turn a kind on or off
            offset_form = OffsetForm()
            if _save_offset(offset_form):
                return redirect(url_for("reminders.admin_deliveries"))
        else:
            _switch_kind(form)
            return redirect(url_for("reminders.admin_deliveries"))
    state = request.args.get("state", "")
    return render_template(
        "reminders/admin.html",
        page=queries.deliveries_page(state, page_number(request.args.get("page"))),
        counts=queries.delivery_counts(),
        state=state,
        off=queries.kinds_turned_off(),
        kinds=KIND_LABELS,
        offsets=_offset_forms(offset_form),
        form=form,
        text=notices.text,
    )


def _switch_kind(form: FlaskForm) -> None:
    if not form.validate_on_submit():
        abort(400)
    kind, enabled = request.form.get("kind", ""), request.form.get("enabled") == "1"
    if kind not in NoticeKind._value2member_map_:
        abort(400)
    perform(
        services.set_kind_enabled,
        kind,
        enabled,
        success=_(
            "Saved: %(kind)s is %(state)s.",
            kind=KIND_LABELS[NoticeKind(kind)],
            state=_("on") if enabled else _("off"),
        ),
    )


def _save_offset(form: OffsetForm) -> bool:
    if form.kind.data not in offsets.DEFAULTS:
        abort(400)
    if not form.validate_on_submit():
        return False
    return bool(
        perform(
            services.set_offset,
            form.kind.data,
            form.days.data,
            form=form,
            success=lambda row: _(
                "Saved: %(kind)s is due %(days)s days before.", kind=NoticeKind(row.kind).label, days=row.days
            ),
        )
    )


def _offset_forms(posted: OffsetForm | None) -> list[tuple[str, str, OffsetForm]]:
    """(kind, label, form) for each reminder due some days before its event; the form just
    posted keeps what was typed and why it was refused."""
    forms = []
    for kind, days in offsets.all_days().items():
        keep = posted is not None and posted.kind.data == kind
        forms.append(
            (kind, NoticeKind(kind).label, posted if keep else OffsetForm(formdata=None, kind=kind, days=days))
        )
    return forms
