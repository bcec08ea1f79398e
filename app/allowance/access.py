"""Who may do what with the allowance: the one place views, templates and services ask.

A city-wide payroll officer computes a month, submits it, sends it back, locks it and discards a
draft (a run covers every district). Approving takes a second pair of eyes: another city-wide
payroll officer, never the one who computed or submitted the run. Admins set the rates and the
policy; payroll officers (of a district too) hold a worker's allowance.
"""

from app.allowance.models import AllowanceRun, RunState
from app.core.access import PAYROLL_ROLES, Role, is_city_payroll_officer

# The roles a page is for (`roles_required`); the rules below narrow them where they must.
READERS = PAYROLL_ROLES  # read the runs, the rates and the policy
OPERATORS = (Role.payroll,)  # move runs (city-wide ones only: may_compute() and the rest)
RATE_EDITORS = (Role.admin,)  # set the rates and the policy
HOLDERS = (Role.payroll,)  # hold a worker's allowance, within their districts


def may_compute(user) -> bool:
    return is_city_payroll_officer(user)


def may_submit(user) -> bool:
    return is_city_payroll_officer(user)


def may_send_back(user) -> bool:
    return is_city_payroll_officer(user)


def may_lock(user) -> bool:
    return is_city_payroll_officer(user)


def may_discard(user) -> bool:
    return is_city_payroll_officer(user)


def may_operate(user) -> bool:
    """Any of the run's moves above (the run page shows its buttons to this user)."""
    return is_city_payroll_officer(user)


def made_the_run(run: AllowanceRun, user_id: int | None) -> bool:
    """The officer who computed or submitted a run may not approve it."""
    return user_id in (run.computed_by, run.submitted_by)


def may_approve_runs(user) -> bool:
    """Approving is for city-wide payroll officers; which runs, may_approve() says."""
    return is_city_payroll_officer(user)


def may_approve(user, run: AllowanceRun) -> bool:
    """A submitted run, approved by another city-wide payroll officer than the one who made it."""
    return may_approve_runs(user) and run.state == RunState.submitted and not made_the_run(run, user.id)


def may_edit_rates(user) -> bool:
    """Rates and the registration policy."""
    return user is not None and user.role in RATE_EDITORS


def may_hold(user) -> bool:
    """Hold a worker's allowance for a month (within the officer's districts)."""
    return user is not None and user.role in HOLDERS
