from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import logins, queries, services
from app.accounts.blueprint import bp
from app.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LocaleForm,
    LoginForm,
    ResetPasswordForm,
    UserForm,
)
from app.accounts.models import User
from app.core.access import Role, roles_required
from app.core.actions import perform
from app.core.forms import page_number
from app.core.security import safe_redirect_target
from app.extensions import db, limiter
from app.places.queries import all_districts


def _account_key() -> str:
    return "account:" + logins.login_throttle_key(request.form.get("login") or "")


def _address_key() -> str:
    return f"address:{request.remote_addr}"


def _login_failed(_response) -> bool:
    """Only a wrong login or password counts towards the throttles (not a success, not a 429)."""
    return g.get("login_failed", False)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_ACCOUNT_LIMITS"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_login_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_ADDRESS_LIMITS"],
    key_func=_address_key,
    methods=["POST"],
    deduct_when=_login_failed,
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is None:
            g.login_failed = True
            form.password.errors.append(_("The user name or the password is wrong."))
        else:
            login_user(user, remember=form.remember.data)
            perform(services.record_sign_in, user, session.get("locale"))
            return redirect(safe_redirect_target(request.args.get("next"), url_for("main.home")))
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    if not LocaleForm().validate_on_submit():
        abort(400)
    # Cookies live in the browser, so a copy of one outlives this session: signing out bumps the
    # user's session version, which ends every session and remember-me cookie of theirs.
    perform(services.end_sessions, current_user)
    logout_user()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        perform(services.request_password_reset, form.login.data)
        flash(
            _(
                "If the account exists, an administrator has been asked to reset its password. "
                "Please contact your administrator for the temporary password."
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    return render_template("accounts/forgot.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit() and perform(
        services.change_password,
        current_user,
        form.current_password.data,
        form.new_password.data,
        form=form,
        success=_("Your password has been changed."),
    ):
        # Every other session has just ended; this one goes on with the new session version.
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
        login_user(current_user._get_current_object(), remember=remembered)
        return redirect(url_for("main.home"))
    return render_template("accounts/change_password.html", form=form)


@bp.route("/locale/<code>", methods=["POST"])
def set_locale(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    if not LocaleForm().validate_on_submit():
        abort(400)
    session["locale"] = code
    if current_user.is_authenticated:
        perform(services.set_locale, current_user, code)
    return redirect(safe_redirect_target(request.referrer, url_for("main.home")))


@bp.route("/account/calendar-link/reset", methods=["POST"])
@roles_required(Role.worker)
def reset_calendar_link():
    if not LocaleForm().validate_on_submit():
        abort(400)
    perform(
        services.reset_calendar_link,
        current_user,
        success=_("Your calendar link has been replaced; the old one no longer works."),
    )
    return redirect(url_for("training.my_training"))


@bp.before_app_request
def require_new_password():
    if (
        current_user.is_authenticated
        and current_user.must_change_password
        and request.endpoint not in ("accounts.change_password", "accounts.logout", "static", "accounts.set_locale")
    ):
        flash(_("Please choose a new password before you go on."), "warning")
        return redirect(url_for("accounts.change_password"))


# ---- administration of users ----


@bp.route("/admin/users")
@roles_required(Role.admin)
def user_list():
    q = (request.args.get("q") or "").strip()
    role = request.args.get("role")
    query = queries.users_matching(q, Role(role) if role in Role._value2member_map_ else None)
    page = db.paginate(query, page=page_number(request.args.get("page")), per_page=50, error_out=False)
    pending = queries.pending_reset_requests()
    return render_template("accounts/user_list.html", page=page, q=q, role=role, pending=pending, roles=Role)


def _user_form(user: User | None = None) -> UserForm:
    form = UserForm(obj=user)
    form.districts.choices = [(d.code, f"{d.code} {d.name}") for d in all_districts()]
    if user is not None and request.method == "GET":
        form.districts.data = [d.code for d in user.districts]
        form.role.data = user.role.value
        form.worker_id_number.data = user.worker.id_number if user.worker else ""
    return form


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles_required(Role.admin)
def user_create():
    form = _user_form()
    if form.validate_on_submit() and perform(
        services.create_user,
        form.username.data,
        Role(form.role.data),
        form.password.data or "",
        form.display_name.data,
        form.email.data,
        form.districts.data,
        form.city_wide.data,
        form.worker_id_number.data,
        must_change_password=True,
        active=form.active.data,
        form=form,
        success=lambda user: _("The user %(name)s has been created.", name=user.username),
    ):
        return redirect(url_for("accounts.user_list"))
    return render_template("accounts/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.admin)
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    reset_form = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit() and perform(
        services.update_user,
        user,
        Role(form.role.data),
        form.display_name.data,
        form.email.data,
        form.active.data,
        form.districts.data,
        form.city_wide.data,
        form.worker_id_number.data,
        form=form,
        success=lambda saved: _("The user %(name)s has been saved.", name=saved.username),
    ):
        return redirect(url_for("accounts.user_list"))
    return render_template("accounts/user_form.html", form=form, user=user, reset_form=reset_form)


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["POST"])
@roles_required(Role.admin)
def user_reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        perform(
            services.admin_reset_password,
            user,
            form.temporary_password.data,
            success=_(
                "A temporary password has been set for %(name)s; they must change it at their next login.",
                name=user.username,
            ),
        )
    else:
        flash(_("Give a temporary password."), "danger")
    return redirect(url_for("accounts.user_edit", user_id=user.id))
