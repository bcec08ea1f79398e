"""The payroll run page (issue #9): who may approve, the timeline, the request to approve that goes
away once it is answered, the district totals and the district of each line."""

from datetime import UTC, date, datetime

import pytest

from app.allowance import compute, services
from app.allowance.models import AllowanceRun
from app.allowance.rules import Month
from app.exams.levels import Level
from app.exams.models import Qualification, QualificationSource
from app.exams.services import add_registration
from app.extensions import db
from app.reminders.models import Channel, Delivery, DeliveryState, Notice
from tests.factories import login, post


@pytest.fixture
def setup(world):
    db.session.add(
        Qualification(
            worker_id=world.worker_b.id,
            level=Level.assistant,
            obtained_on=date(2024, 12, 20),
            certificate_no="B-1",
            source=QualificationSource.imported,
        )
    )
    db.session.flush()
    add_registration(world.worker_a.id, Level.assistant, date(2025, 1, 10))
    add_registration(world.worker_b.id, Level.assistant, date(2025, 1, 10))
    db.session.commit()
    return world


def computed(month: str, user) -> AllowanceRun:
    run, districts = services.start_compute(Month.parse(month), user.id)
    for d in districts:
        compute.compute_part(run.id, d)
    services.finish_if_complete(run.id)
    db.session.commit()
    return run


def page(client, month="2026-09", **args) -> str:
    response = client.get(f"/allowance/runs/{month}", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_the_approve_button_is_offered_only_to_an_officer_who_neither_computed_nor_submitted(app, setup):
    run = computed("2026-09", setup.payroll_city)
    services.submit(run, setup.payroll_city.id)
    db.session.commit()
    submitter, other = app.test_client(), app.test_client()
    login(submitter, "t_payroll_city")
    login(other, "t_payroll_city2")
    assert 'id="approve-run"' not in page(submitter) and 'id="approve-elsewhere"' in page(submitter)
    assert 'id="approve-run"' in page(other)

    # computed by one officer, submitted by another: neither may approve
    services.return_to_draft(run, setup.payroll_city.id)
    services.submit(run, setup.payroll_city2.id)
    db.session.commit()
    assert 'id="approve-run"' not in page(submitter)
    assert 'id="approve-run"' not in page(other)


def test_the_timeline_names_who_did_what_and_when_in_beijing_time(client, app, setup, clock):
    # 2026-10-01 16:05 UTC is 2026-10-02 00:05 in Beijing: the day differs, so the zone shows
    clock.move_to(datetime(2026, 10, 1, 16, 5, tzinfo=UTC))
    run = computed("2026-09", setup.payroll_city)
    services.submit(run, setup.payroll_city.id)
    services.approve(run, setup.payroll_city2.id)
    services.lock(run, setup.payroll_city2.id)
    db.session.commit()
    login(client, "t_payroll_city2")
    assert client.get("/allowance/runs/2026-09/export.xlsx").status_code == 200
    html = page(client)
    timeline = html[html.index('id="timeline"') :]
    kinds = [chunk.split('"', 1)[0] for chunk in timeline.split('data-kind="')[1:]]
    assert kinds == ["computed", "submitted", "approved", "locked", "exported"]
    assert timeline.count("2026-10-02 00:05") == 5
    events = {e.kind.value: e.user_id for e in run.events}
    assert events["computed"] == events["submitted"] == setup.payroll_city.id
    assert events["approved"] == events["locked"] == events["exported"] == setup.payroll_city2.id
    assert "t_payroll_city" in timeline and "t_payroll_city2" in timeline


def test_the_request_to_approve_is_settled_for_everyone_once_approved_or_sent_back(setup):
    run = computed("2026-09", setup.payroll_city)
    services.submit(run, setup.payroll_city.id)
    asked = db.session.query(Notice).filter_by(kind="run_submitted", target=f"run:{run.id}").all()
    assert {n.user_id for n in asked} == {setup.payroll_city2.id, setup.payroll_a.id}
    assert all(n.read_at is None for n in asked)
    db.session.add(
        Delivery(notice_id=asked[0].id, channel=Channel.mail, address="x@example.org", state=DeliveryState.pending)
    )
    db.session.flush()

    services.return_to_draft(run, setup.payroll_city.id)
    db.session.expire_all()
    assert all(n.read_at is not None for n in db.session.query(Notice).filter_by(kind="run_submitted"))
    assert db.session.query(Delivery).one().state == DeliveryState.skipped

    # submitted again: a new request, answered by the approval
    services.submit(run, setup.payroll_city.id)
    db.session.flush()
    fresh = [n for n in db.session.query(Notice).filter_by(kind="run_submitted") if n.read_at is None]
    assert {n.user_id for n in fresh} == {setup.payroll_city2.id, setup.payroll_a.id}
    services.approve(run, setup.payroll_city2.id)
    db.session.expire_all()
    assert db.session.query(Notice).filter_by(kind="run_submitted").filter(Notice.read_at.is_(None)).count() == 0


def test_the_approval_clears_the_unread_count_on_the_page(client, app, setup):
    run = computed("2026-09", setup.payroll_city)
    services.submit(run, setup.payroll_city.id)
    db.session.commit()
    login(client, "t_payroll_city2")
    assert 'id="unread-count"' in client.get("/allowance/").get_data(as_text=True)
    post(client, "/allowance/runs/2026-09/approve")
    assert 'id="unread-count"' not in client.get("/allowance/").get_data(as_text=True)


def test_the_district_tab_has_a_total_row_and_the_lines_name_their_district(client, setup):
    computed("2026-09", setup.payroll_city)
    login(client, "t_payroll_city")
    districts = page(client, view="districts")
    table = districts[districts.index('id="totals-table"') :]
    footer = table[table.index('id="totals-total"') :]
    assert "400.00" in footer and ">2<" in footer  # two districts of 200.00, one line each
    lines = page(client)
    table = lines[lines.index('id="lines-table"') :]
    names = {d.name for d in (setup.community_a.district, setup.community_b.district)}
    assert all(name in table for name in names)
