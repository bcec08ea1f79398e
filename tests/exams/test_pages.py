import io
import re

import pytest

from app.exams.models import ExamResult, ExamYear, ReviewItem, ReviewState
from app.extensions import db
from tests.factories import csrf_token, login, post


@pytest.fixture
def coord(client, world):
    login(client, "t_coord_a")
    return client


def test_the_worker_page_shows_results_and_the_qualification_with_its_evidence(coord, world):
    page = coord.get(f"/workers/{world.worker_a.id}").get_data(as_text=True)
    assert 'id="qualifications"' in page and "2024" in page and "65.5" in page
    worker = login(client := coord.application.test_client(), "t_worker_a")  # noqa: F841
    mine = client.get("/workers/me").get_data(as_text=True)
    assert "65.5" in mine and 'id="qualifications"' in mine


def test_enter_a_result_on_the_page_and_bad_scores_re_render(coord, world):
    url = f"/exams/workers/{world.worker_a.id}/results/new"
    ok = post(coord, url, {"exam_year": str(world.exam_year.id), "subject": "I1", "score": "60"})
    assert ok.status_code == 302
    bad = post(coord, url, {"exam_year": str(world.exam_year.id), "subject": "I2", "score": "101"})
    assert bad.status_code == 200 and "is-invalid" in bad.get_data(as_text=True)
    assert db.session.query(ExamResult).filter_by(subject="I2").count() == 0


def test_a_coordinator_cannot_enter_results_for_a_worker_outside_scope(coord, world):
    response = post(
        coord,
        f"/exams/workers/{world.worker_b.id}/results/new",
        {"exam_year": str(world.exam_year.id), "subject": "I1", "score": "60"},
    )
    assert response.status_code == 404


def test_results_import_page_queues_strangers_and_the_queue_matches_them(coord, world):
    content = (
        f"身份证号,姓名,考试年度,科目,成绩\n{world.worker_a.id_number},张伟,2024,I1,61\n"
        f"11010519491231002X,某某,2024,I2,75\n"
    ).encode("gb18030")
    html = coord.post(
        "/exams/import/results",
        data={"csrf_token": csrf_token(coord, "/exams/import/results"), "file": (io.BytesIO(content), "r.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    assert (
        coord.post(
            "/exams/import/results/confirm",
            data={"csrf_token": csrf_token(coord, "/exams/import/results"), "token": token},
        ).status_code
        == 302
    )
    item = db.session.query(ReviewItem).filter_by(key="2024:I2").one()
    queue_page = coord.get("/exams/queue").get_data(as_text=True)
    assert "某某" in queue_page
    # matching to a worker outside the coordinator's scope is refused
    post(coord, f"/exams/queue/{item.id}/match", {"id_number": world.worker_b.id_number})
    assert db.session.get(ReviewItem, item.id).state == ReviewState.pending
    post(coord, f"/exams/queue/{item.id}/match", {"id_number": world.worker_a.id_number})
    db.session.expire_all()
    assert db.session.get(ReviewItem, item.id).state == ReviewState.matched
    assert db.session.query(ExamResult).filter_by(worker_id=world.worker_a.id, subject="I2").one().passed


def test_a_district_coordinator_cannot_import_results_of_workers_outside_scope(coord, world):
    """The row goes to the coordinator's review queue, as a row of an unknown ID number would."""
    content = f"身份证号,考试年度,科目,成绩\n{world.worker_b.id_number},2024,I1,61\n".encode()
    html = coord.post(
        "/exams/import/results",
        data={"csrf_token": csrf_token(coord, "/exams/import/results"), "file": (io.BytesIO(content), "r.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert 'id="import-errors"' not in html and 'id="confirm-import"' in html
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    coord.post(
        "/exams/import/results/confirm",
        data={"csrf_token": csrf_token(coord, "/exams/import/results"), "token": token},
    )
    assert db.session.query(ExamResult).filter_by(worker_id=world.worker_b.id).count() == 0
    assert db.session.query(ReviewItem).filter_by(id_number=world.worker_b.id_number).one().worker_id is None


def test_the_overview_shows_pass_rates_within_scope(coord, world):
    page = coord.get("/exams/").get_data(as_text=True)
    assert "<svg" in page and "100.0%" in page  # worker_a passed both subjects
    assert coord.get("/exams/import/nonsense").status_code == 404


def test_admin_sets_up_an_exam_year_with_a_lower_pass_mark(client, world):
    login(client, "t_admin")
    data = {
        "year": "2025",
        "exam_date": "2025-10-25",
        "results_date": "2025-12-19",
        "mark_A1": "55",
        "mark_A2": "60",
        "mark_I1": "60",
        "mark_I2": "60",
        "mark_I3": "60",
        "mark_S1": "60",
    }
    assert post(client, "/exams/years/new", data).status_code == 302
    year = db.session.query(ExamYear).filter_by(year=2025).one()
    assert str(year.pass_mark("A1")) == "55.0"
    bad = post(client, "/exams/years/new", {**data, "results_date": "2025-01-01"})
    assert bad.status_code == 200 and "is-invalid" in bad.get_data(as_text=True)
