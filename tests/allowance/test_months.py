"""Which months can be computed (issue #9): from the first month anyone was in a post up to next
month; anything else gets a clear message and writes nothing. A draft can be discarded."""

from datetime import date

import pytest

from app.allowance.models import AllowanceHold, AllowanceLine, AllowanceRun, RunState
from app.allowance.rules import Month
from app.core.audit import AuditLog
from app.extensions import db
from tests.factories import login, post

FIRST_POST = Month.of(2020, 1)  # the world's workers are in post from 2020-01-01


@pytest.fixture
def queued(monkeypatch):
    """The Celery groups the pages send, instead of sending them."""
    sent = []
    monkeypatch.setattr("app.allowance.views.queue_compute", lambda run_id, districts: sent.append(run_id))
    return sent


def _runs() -> set[str]:
    return {f"{m:%Y-%m}" for (m,) in db.session.query(AllowanceRun.month)}


def test_months_outside_the_window_get_a_message_and_write_nothing(client, world, today, queued):
    login(client, "t_payroll_city")
    this = Month(today.replace(day=1))
    before = _runs()
    for bad in ("2099-01", "1990-01", str(FIRST_POST.shift(-1)), str(this.shift(2))):
        response = post(client, "/allowance/compute", {"month": bad}, follow_redirects=True)
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert bad in page and str(FIRST_POST) in page and str(this.shift(1)) in page, bad
    assert _runs() == before and queued == []
    for good in (str(FIRST_POST), str(this.shift(1))):
        assert post(client, "/allowance/compute", {"month": good}).status_code == 302
    assert _runs() == before | {str(FIRST_POST), str(this.shift(1))} and len(queued) == 2


@pytest.mark.parametrize("month", ["0000-01", "0001-01", "9999-12", "2026-00", "2026-13", "２０２６-０９", "x" * 40])
def test_absurd_month_strings_never_give_a_500(client, world, queued, month):
    login(client, "t_payroll_city")
    for url in (
        f"/allowance/runs/{month}",
        f"/allowance/runs/{month}?view=diff",
        f"/allowance/runs/{month}/export.xlsx",
        f"/allowance/runs/{month}/discard",
    ):
        assert client.get(url).status_code == 404, url
    for action in ("submit", "approve", "reopen", "lock", "discard"):
        assert post(client, f"/allowance/runs/{month}/{action}").status_code == 404
    response = post(client, "/allowance/compute", {"month": month}, follow_redirects=True)
    assert response.status_code == 200
    holds = post(client, "/allowance/holds", {"id_number": world.worker_a.id_number, "month": month, "reason": "x"})
    assert holds.status_code == 200 and "is-invalid" in holds.get_data(as_text=True)
    assert queued == [] and db.session.query(AllowanceHold).filter_by(worker_id=world.worker_a.id).count() == 0


def test_a_hold_in_a_month_that_makes_no_sense_is_refused(client, world):
    login(client, "t_payroll_city")
    response = post(
        client, "/allowance/holds", {"id_number": world.worker_a.id_number, "month": "2099-01", "reason": "x"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "is-invalid" in page and "2099-01" in page
    assert db.session.query(AllowanceHold).filter_by(worker_id=world.worker_a.id).count() == 0


def test_the_command_line_refuses_such_months_and_exits_non_zero(app, world):
    runner = app.test_cli_runner()
    before = _runs()
    for args in (
        ["allowance", "compute", "2099-01"],
        ["allowance", "compute", "1990-01"],
        ["allowance", "compute", "0000-01"],
        ["allowance", "hold", world.worker_a.id_number, "2099-01", "--reason", "x"],
    ):
        result = runner.invoke(args=args)
        month = args[2] if args[1] == "compute" else args[3]
        assert result.exit_code != 0 and month in result.output, args
    assert _runs() == before


def test_the_beat_leaves_the_database_alone_when_nobody_has_a_post(app_ctx):
    from app.allowance.tasks import compute_previous_month

    message = compute_previous_month()
    assert "post" in message.lower() or "岗" in message
    assert db.session.query(AllowanceRun).count() == 0


# ---- discarding a draft ----


def test_a_draft_is_discarded_after_a_confirmation_and_the_deletion_is_audited(client, world, queued):
    login(client, "t_payroll_city")
    run = db.session.query(AllowanceRun).filter_by(month=date(2026, 10, 1)).one()  # the world's draft
    run_id = run.id
    assert db.session.query(AllowanceLine).filter_by(run_id=run_id).count() == 0
    post(client, "/allowance/compute", {"month": "2026-10"})
    from app.allowance import compute, services

    db.session.expire_all()
    for part in run.parts:
        compute.compute_part(run_id, part.district_id)
    services.finish_if_complete(run_id)
    db.session.commit()
    assert db.session.query(AllowanceLine).filter_by(run_id=run_id).count() > 0

    page = client.get("/allowance/runs/2026-10").get_data(as_text=True)
    assert "/allowance/runs/2026-10/discard" in page
    confirm = client.get("/allowance/runs/2026-10/discard")
    assert confirm.status_code == 200 and 'id="confirm-discard"' in confirm.get_data(as_text=True)
    assert db.session.get(AllowanceRun, run_id) is not None  # looking is not discarding

    response = post(client, "/allowance/runs/2026-10/discard", follow_redirects=True)
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(AllowanceRun, run_id) is None
    assert db.session.query(AllowanceLine).filter_by(run_id=run_id).count() == 0
    assert "2026-10" not in _runs()
    entry = db.session.query(AuditLog).filter(AuditLog.summary.contains("discarded the draft for 2026-10")).one()
    assert entry.user_id == world.payroll_city.id
    assert client.get("/allowance/runs/2026-10").status_code == 404


def test_only_a_draft_is_discarded_and_only_by_a_city_wide_payroll_officer(client, app, world):
    run = db.session.query(AllowanceRun).filter_by(month=date(2026, 10, 1)).one()
    local = app.test_client()
    login(local, "t_payroll_a")
    assert local.get("/allowance/runs/2026-10/discard").status_code == 403
    assert post(local, "/allowance/runs/2026-10/discard").status_code == 403

    run.state = RunState.submitted
    db.session.commit()
    login(client, "t_payroll_city")
    assert "/discard" not in client.get("/allowance/runs/2026-10").get_data(as_text=True)
    post(client, "/allowance/runs/2026-10/discard")
    db.session.expire_all()
    assert db.session.get(AllowanceRun, run.id).state == RunState.submitted
