import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import bp, services
from app.accounts.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LocaleForm,
    LoginForm,
    ResetPasswordForm,
    UserForm,
)
from app.accounts.models import PasswordResetRequest, User
from app.core.access import Role, roles_required
from app.core.audit import AuditAction, record
from app.core.forms import page_number, show_service_error
from app.core.services import ServiceError
from app.extensions import db, limiter
from app.places.queries import all_districts


def _login_key() -> str:
    return f"{request.remote_addr}|{(request.form.get('login') or '').strip().lower()}"


def _login_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _login_limit, key_func=_login_key, methods=["POST"], deduct_when=lambda response: response.status_code != 302
)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.login.data, form.password.data)
        if user is None:
            form.password.errors.append(_("The user name or the password is wrong."))
        else:
            chosen_locale = session.get("locale")
            if chosen_locale and chosen_locale != user.locale:
                user.locale = chosen_locale
            login_user(user, remember=form.remember.data)
            record(AuditAction.login, "user", user.id, summary=f"sign-in {user.username}")
            db.session.commit()
            target = request.args.get("next") or ""
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("main.home")
            return redirect(target)
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    LocaleForm().validate_on_submit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(form.login.data)
        db.session.commit()
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
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.new_password.data)
        except ServiceError as exc:
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("Your password has been changed."), "success")
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
        services.set_locale(current_user, code)
        db.session.commit()
    target = request.referrer or url_for("main.home")
    return redirect(target)


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
    query = sa.select(User).order_by(User.role, User.username)
    if q:
        query = query.where(sa.or_(User.username.contains(q), User.display_name.contains(q)))
    role = request.args.get("role")
    if role in Role._value2member_map_:
        query = query.where(User.role == Role(role))
    page = db.paginate(query, page=page_number(request.args.get("page")), per_page=50, error_out=False)
    pending = db.session.scalars(
        sa.select(PasswordResetRequest)
        .where(PasswordResetRequest.resolved_at.is_(None))
        .order_by(PasswordResetRequest.created_at)
    ).all()
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
    if form.validate_on_submit():
        try:
            user = services.create_user(
                form.username.data,
                Role(form.role.data),
                form.password.data or "",
                form.display_name.data,
                form.email.data,
                form.districts.data,
                form.city_wide.data,
                form.worker_id_number.data,
                must_change_password=True,
            )
            user.active = form.active.data
        except ServiceError as exc:
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("The user %(name)s has been created.", name=user.username), "success")
            return redirect(url_for("accounts.user_list"))
    return render_template("accounts/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.admin)
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = _user_form(user)
    reset_form = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                Role(form.role.data),
                form.display_name.data,
                form.email.data,
                form.active.data,
                form.districts.data,
                form.city_wide.data,
                form.worker_id_number.data,
            )
        except ServiceError as exc:
            db.session.rollback()
            user = db.get_or_404(User, user_id)
            show_service_error(form, exc)
        else:
            db.session.commit()
            flash(_("The user %(name)s has been saved.", name=user.username), "success")
            return redirect(url_for("accounts.user_list"))
    return render_template("accounts/user_form.html", form=form, user=user, reset_form=reset_form)


@bp.route("/admin/users/<int:user_id>/reset-password", methods=["POST"])
@roles_required(Role.admin)
def user_reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm(prefix="reset")
    if form.validate_on_submit():
        try:
            services.admin_reset_password(user, form.temporary_password.data)
        except ServiceError as exc:
            flash(exc.message, "danger")
        else:
            db.session.commit()
            flash(
                _(
                    "A temporary password has been set for %(name)s; they must change it at their next login.",
                    name=user.username,
                ),
                "success",
            )
    else:
        flash(_("Give a temporary password."), "danger")
    return redirect(url_for("accounts.user_edit", user_id=user.id))
