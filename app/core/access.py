"""Roles and access checks: the one place that says who may do what, and on which workers."""

import enum
from functools import wraps

from flask import abort
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required


class Role(str, enum.Enum):
    worker = "worker"
    coordinator = "coordinator"
    payroll = "payroll"
    admin = "admin"

    @property
    def label(self):
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.worker: _l("Community worker"),
    Role.coordinator: _l("Training coordinator"),
    Role.payroll: _l("Payroll officer"),
    Role.admin: _l("Administrator"),
}

# The role sets, each named once for what its members do (a view's `roles_required` names one).
# Everyone who works on other people's records, within their district scope.
STAFF_ROLES = (Role.coordinator, Role.payroll, Role.admin)
# Those who keep the registry, training and exams (edit workers, sessions, results).
COORDINATION_ROLES = (Role.coordinator, Role.admin)
# Those who read the allowance runs and the payment batches (payroll officers do the work).
PAYROLL_ROLES = (Role.payroll, Role.admin)


def roles_required(*roles: Role):
    """Allow only these roles; anonymous users go to the login page, others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def district_scope(user) -> set[int] | None:
    """District ids this user may see; None means city-wide."""
    if user.role == Role.admin or user.city_wide:
        return None
    return {d.id for d in user.districts}


def can_edit_workers(user) -> bool:
    return user.role in COORDINATION_ROLES


def is_city_payroll_officer(user) -> bool:
    """A payroll officer for the whole city: the one who moves allowance runs and makes payment
    batches (a run and a batch cover every district at once)."""
    return user is not None and user.role == Role.payroll and district_scope(user) is None
