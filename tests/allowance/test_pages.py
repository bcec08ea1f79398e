import io
from datetime import date

import pytest
from openpyxl import load_workbook

from app.allowance.models import AllowanceRun, RunState
from app.extensions import db
from tests.factories import login, post


@pytest.fixture
def setup(world):
    from app.exams.levels import Level
    from app.exams.services import add_registration

    # the world's worker_a holds the assistant level from the 2024 results; register it
    add_registration(world.worker_a.id, Level.assistant, date(2025, 1, 10))
    db.session.commit()
    return world


def test_compute_submit_approve_lock_export_and_the_worker_sees_the_statement(client, app, setup):
    one = client
    login(one, "t_payroll_city")
    assert post(one, "/allowance/compute", {"month": "2026-09"}).status_code == 302
    page = one.get("/allowance/runs/2026-09").get_data(as_text=True)
    assert "张伟" in page and "200.00 × 30/30 = 200.00" in page
    assert post(one, "/allowance/runs/2026-09/submit").status_code == 302
    post(one, "/allowance/runs/2026-09/approve")  # refused: the same officer
    assert db.session.query(AllowanceRun).filter_by(month=date(2026, 9, 1)).one().state == RunState.submitted

    two = app.test_client()
    login(two, "t_payroll_city2")
    post(two, "/allowance/runs/2026-09/approve")
    post(two, "/allowance/runs/2026-09/lock")
    db.session.expire_all()
    assert db.session.query(AllowanceRun).filter_by(month=date(2026, 9, 1)).one().state == RunState.locked
    xlsx = two.get("/allowance/runs/2026-09/export.xlsx")
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert any(len(r) > 6 and r[6] == setup.worker_a.id_number for r in rows)

    worker = app.test_client()
    login(worker, "t_worker_a")
    statement = worker.get("/allowance/me").get_data(as_text=True)
    assert "2026-09" in statement and "200.00 × 30/30 = 200.00" in statement


def test_a_draft_gives_no_bank_file_and_is_not_shown_to_the_worker(client, app, setup):
    login(client, "t_payroll_city")
    post(client, "/allowance/compute", {"month": "2026-09"})
    response = client.get("/allowance/runs/2026-09/export.csv")
    assert response.status_code == 302
    worker = app.test_client()
    login(worker, "t_worker_a")
    assert "2026-09" not in worker.get("/allowance/me").get_data(as_text=True)


def test_bad_months_and_holds_get_a_message_and_change_nothing(client, setup):
    login(client, "t_payroll_city")
    for bad in ("2026-13", "26-01", "", "2026/09"):
        post(client, "/allowance/compute", {"month": bad})
    assert db.session.query(AllowanceRun).filter(AllowanceRun.month >= date(2026, 1, 1)).count() == 1  # the world's
    assert client.get("/allowance/runs/2026-99").status_code == 404
    response = post(client, "/allowance/holds", {"id_number": "123", "month": "2026-09", "reason": "x"})
    assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True)


def test_a_district_payroll_officer_sees_only_their_districts_lines(client, app, setup):
    from tests.allowance.test_runs import qualify as q

    q(setup.worker_b, obtained=date(2023, 1, 1), registered=date(2023, 2, 1))
    db.session.commit()
    login(client, "t_payroll_city")
    post(client, "/allowance/compute", {"month": "2026-09"})
    local = app.test_client()
    login(local, "t_payroll_a")
    page = local.get("/allowance/runs/2026-09").get_data(as_text=True)
    assert "张伟" in page and "李娜" not in page
    assert post(local, "/allowance/runs/2026-09/submit").status_code == 403


def test_the_diff_with_the_previous_month_names_who_dropped_out_and_why(client, setup):
    login(client, "t_payroll_city")
    post(client, "/allowance/compute", {"month": "2026-09"})
    # the world's October draft was computed before the registration existed: 张伟 dropped out
    page = client.get("/allowance/runs/2026-10", query_string={"view": "diff"}).get_data(as_text=True)
    row = page[page.index('id="diff-table"') :]
    assert "张伟" in row and "200.00 × 30/30 = 200.00" in row
    post(client, "/allowance/compute", {"month": "2026-10"})
    page = client.get("/allowance/runs/2026-10", query_string={"view": "diff"}).get_data(as_text=True)
    assert "张伟" not in page[page.index('id="diff-table"') :]  # same amount both months
