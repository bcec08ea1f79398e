"""Who may move an allowance run (app/allowance/access.py): city-wide payroll officers, and the
approver is never who computed or submitted the run."""

from types import SimpleNamespace

import pytest

from app.allowance import access
from app.allowance.models import RunState
from app.core.access import Role


def user(uid, role, city_wide=True):
    return SimpleNamespace(id=uid, role=role, city_wide=city_wide, districts=[])


CITY_PAYROLL, OTHER_CITY_PAYROLL = user(1, Role.payroll), user(2, Role.payroll)
DISTRICT_PAYROLL = user(3, Role.payroll, city_wide=False)
ADMIN, COORDINATOR, WORKER = user(4, Role.admin), user(5, Role.coordinator), user(6, Role.worker)
MOVES = (access.may_compute, access.may_submit, access.may_send_back, access.may_lock, access.may_discard)


@pytest.mark.parametrize("move", MOVES)
def test_only_a_city_wide_payroll_officer_moves_a_run(move):
    assert move(CITY_PAYROLL)
    assert not any(move(u) for u in (DISTRICT_PAYROLL, ADMIN, COORDINATOR, WORKER, None))


def test_the_approver_is_another_city_wide_officer_than_who_computed_or_submitted():
    run = SimpleNamespace(state=RunState.submitted, computed_by=1, submitted_by=1)
    assert not access.may_approve(CITY_PAYROLL, run)
    assert access.may_approve(OTHER_CITY_PAYROLL, run)
    assert not access.may_approve(DISTRICT_PAYROLL, run) and not access.may_approve(ADMIN, run)
    computed_by_one_submitted_by_two = SimpleNamespace(state=RunState.submitted, computed_by=1, submitted_by=2)
    assert not access.may_approve(CITY_PAYROLL, computed_by_one_submitted_by_two)
    assert not access.may_approve(OTHER_CITY_PAYROLL, computed_by_one_submitted_by_two)
    draft = SimpleNamespace(state=RunState.draft, computed_by=1, submitted_by=None)
    assert not access.may_approve(OTHER_CITY_PAYROLL, draft)


def test_admins_edit_rates_and_payroll_officers_of_any_scope_hold():
    assert access.may_edit_rates(ADMIN) and not access.may_edit_rates(CITY_PAYROLL)
    assert access.may_hold(CITY_PAYROLL) and access.may_hold(DISTRICT_PAYROLL) and not access.may_hold(ADMIN)
