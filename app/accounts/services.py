"""Users, roles, scope, passwords. Services flush, never commit."""

import re

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from app.accounts.logins import find_login_user
from app.accounts.models import PasswordResetRequest, User, verify_dummy_password
from app.core.access import Role
from app.core.audit import AuditAction, record
from app.core.identity import InvalidIdentity, parse_id_number
from app.core.services import ServiceError
from app.core.timeutil import utcnow
from app.extensions import db
from app.places.models import District
from app.workers.models import Worker

MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{3,64}$")


def check_password_strength(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ServiceError(_("A password must have at least %(n)d characters.", n=MIN_PASSWORD), "password")
    if password.isdigit() or password.isalpha():
        raise ServiceError(_("A password must mix letters with digits or symbols."), "password")


def record_sign_in(user: User, chosen_locale: str | None) -> None:
    """A signed-in user keeps the language they chose before signing in; the sign-in is audited."""
    if chosen_locale and chosen_locale != user.locale:
        user.locale = chosen_locale
    record(AuditAction.login, "user", user.id, summary=f"sign-in {user.username}")
    db.session.flush()


def authenticate(login: str, password: str) -> User | None:
    user = find_login_user(login)
    if user is None or not user.active:
        verify_dummy_password(password)  # the same work as a wrong password: timing tells nothing
        return None
    if not user.check_password(password):
        return None
    user.last_login_at = utcnow()
    return user


def load_session_user(session_id: str) -> User | None:
    """The user of a session or remember-me cookie, if the cookie's session version is current."""
    user_id, _sep, version = (session_id or "").partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None  # also a cookie from before session versions existed
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every session and remember-me cookie stops working."""
    user.session_version = (user.session_version or 1) + 1
    db.session.flush()


def _credentials_changed(user: User) -> None:
    end_sessions(user)
    user.calendar_version = (user.calendar_version or 1) + 1


def _calendar_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="ics")


def calendar_token(user: User) -> str:
    return _calendar_serializer().dumps([user.id, user.calendar_version])


def calendar_user(token: str) -> User | None:
    """The active user whose current calendar address this is."""
    try:
        user_id, version = _calendar_serializer().loads(token)
    except (BadSignature, TypeError, ValueError):
        return None
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not user.active or user.calendar_version != version:
        return None
    return user


def reset_calendar_link(user: User) -> None:
    user.calendar_version = (user.calendar_version or 1) + 1
    db.session.flush()


def create_user(
    username: str,
    role: Role,
    password: str,
    display_name: str = "",
    email: str | None = None,
    district_codes: list[str] | None = None,
    city_wide: bool = False,
    worker_id_number: str | None = None,
    must_change_password: bool = False,
    active: bool = True,
) -> User:
    username = (username or "").strip()
    if not _USERNAME.match(username):
        raise ServiceError(_("A user name has 3 to 64 letters, digits or _ . @ -."), "username")
    if db.session.scalar(sa.select(User.id).where(User.username == username)):
        raise ServiceError(_("This user name is taken."), "username")
    check_password_strength(password)
    user = User(
        username=username,
        role=Role(role),
        display_name=display_name or username,
        email=email or None,
        must_change_password=must_change_password,
        active=active,
    )
    user.set_password(password)
    _apply_scope(user, district_codes or [], city_wide, worker_id_number)
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    user: User,
    role: Role,
    display_name: str,
    email: str | None,
    active: bool,
    district_codes: list[str],
    city_wide: bool,
    worker_id_number: str | None,
) -> User:
    user.role = Role(role)
    user.display_name = (display_name or "").strip() or user.username
    user.email = email or None
    if user.active and not active:
        _credentials_changed(user)
    user.active = active
    _apply_scope(user, district_codes, city_wide, worker_id_number)
    db.session.flush()
    return user


def _apply_scope(user: User, district_codes: list[str], city_wide: bool, worker_id_number: str | None) -> None:
    districts = []
    if district_codes:
        districts = list(db.session.scalars(sa.select(District).where(District.code.in_(district_codes))))
        unknown = set(district_codes) - {d.code for d in districts}
        if unknown:
            raise ServiceError(_("Unknown district code: %(codes)s", codes=", ".join(sorted(unknown))), "districts")
    if user.role in (Role.coordinator, Role.payroll):
        if not districts and not city_wide:
            raise ServiceError(_("Give this user one or more districts, or make them city-wide."), "districts")
        user.districts, user.city_wide = districts, city_wide and not districts
    else:
        user.districts, user.city_wide = [], False
    user.worker_id = None
    if user.role == Role.worker:
        if not worker_id_number:
            raise ServiceError(_("A worker account is linked to a worker record: give its ID number."), "worker")
        try:
            number = parse_id_number(worker_id_number).number
        except InvalidIdentity as exc:
            raise ServiceError(str(exc), "worker") from None
        worker_id = db.session.scalar(sa.select(Worker.id).where(Worker.id_number == number))
        if worker_id is None:
            raise ServiceError(_("No worker with this ID number is registered."), "worker")
        taken = db.session.scalar(
            sa.select(User.username).where(User.worker_id == worker_id, User.id != (user.id or 0))
        )
        if taken:
            raise ServiceError(_("This worker is already linked to the account %(name)s.", name=taken), "worker")
        user.worker_id = worker_id


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise ServiceError(_("The current password is wrong."), "current_password")
    if new == current:
        raise ServiceError(_("Choose a password different from the current one."), "new_password")
    try:
        check_password_strength(new)
    except ServiceError as exc:
        raise ServiceError(exc.message, "new_password") from None
    user.set_password(new)
    user.must_change_password = False
    _credentials_changed(user)
    db.session.flush()


def request_password_reset(login: str) -> None:
    """Queue a request for an admin; says nothing about whether the account exists."""
    user = find_login_user(login)
    if user is None or not user.active:
        return
    pending = db.session.scalar(
        sa.select(PasswordResetRequest.id).where(
            PasswordResetRequest.user_id == user.id, PasswordResetRequest.resolved_at.is_(None)
        )
    )
    if pending is None:
        db.session.add(PasswordResetRequest(user_id=user.id))
        db.session.flush()


def admin_reset_password(user: User, temporary_password: str) -> None:
    check_password_strength(temporary_password)
    user.set_password(temporary_password)
    user.must_change_password = True
    _credentials_changed(user)
    now = utcnow()
    for req in db.session.scalars(
        sa.select(PasswordResetRequest).where(
            PasswordResetRequest.user_id == user.id, PasswordResetRequest.resolved_at.is_(None)
        )
    ):
        req.resolved_at = now
    db.session.flush()


def set_locale(user: User, locale: str) -> None:
    user.locale = locale
    db.session.flush()


def user_by_username(username: str) -> User | None:
    """The account with this user name (the CLI's --as), or None."""
    return db.session.scalar(sa.select(User).where(User.username == username))
