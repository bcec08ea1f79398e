"""Scope in the exam imports and the review queue (issue #10): a district coordinator's file can
neither write to nor reveal a worker of another district, and the queue shows each coordinator only
the rows of importers within their own scope."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest

from app.core.access import Role
from app.exams import importers, services
from app.exams.models import CERecord, ExamResult, Qualification, Registration, ReviewItem, ReviewState, SeniorReview
from app.extensions import db
from tests import factories as f
from tests.factories import csrf_token, login, post

FILES = {
    "results": ("身份证号,姓名,考试年度,科目,成绩", "{id},某人,2024,A1,70"),
    "reviews": ("身份证号,评审日期,评审结果", "{id},2025-03-01,通过"),
    "qualifications": ("身份证号,等级,证书编号,取得日期", "{id},intermediate,C-1,2020-01-01"),
    "registrations": ("身份证号,等级,登记日期", "{id},assistant,2024-06-01"),
    "ce": ("身份证号,日期,学时,内容", "{id},2024-05-01,8,外部培训"),
}
RECORDS = (ExamResult, SeniorReview, Qualification, Registration, CERecord)


def _content(kind: str, id_number: str) -> bytes:
    header, row = FILES[kind]
    return f"{header}\n{row.format(id=id_number)}\n".encode()


def _results(id_number: str, name: str) -> bytes:
    return f"身份证号,姓名,考试年度,科目,成绩\n{id_number},{name},2024,A1,70\n".encode()


def _records_of(worker_id: int) -> dict:
    db.session.expire_all()
    return {m.__name__: db.session.query(m).filter_by(worker_id=worker_id).count() for m in RECORDS}


@pytest.fixture
def b_holds_assistant(world):
    """worker_b passed both assistant subjects in 2024: assistant obtained on the results date."""
    services.enter_result(world.worker_b.id, world.exam_year, "A1", Decimal("70"))
    services.enter_result(world.worker_b.id, world.exam_year, "A2", Decimal("70"))
    db.session.commit()
    assert db.session.query(Qualification).filter_by(worker_id=world.worker_b.id).one().obtained_on == date(
        2024, 12, 20
    )
    return world.worker_b


@pytest.mark.parametrize("kind", sorted(FILES))
def test_a_row_of_a_worker_outside_scope_is_planned_exactly_like_an_unknown_id(kind, app_ctx, world, b_holds_assistant):
    scope = {world.community_a.district_id}
    k = importers.KINDS[kind]
    outside = importers.plan_import(k, "f.csv", _content(kind, world.worker_b.id_number), scope)
    unknown = importers.plan_import(k, "f.csv", _content(kind, f.id_number("500104")), scope)
    assert outside.errors == unknown.errors == []
    assert outside.summary() == unknown.summary()


@pytest.mark.parametrize("kind", sorted(FILES))
def test_a_district_coordinators_file_never_writes_to_a_worker_outside_scope(kind, client, world, b_holds_assistant):
    before = _records_of(world.worker_b.id)
    login(client, "t_coord_a")
    html = _import(client, kind, _content(kind, world.worker_b.id_number))
    assert "2024-12-20" not in html  # nothing about the other worker's record shows
    assert _records_of(world.worker_b.id) == before
    item = db.session.query(ReviewItem).filter_by(kind=kind, id_number=world.worker_b.id_number).one()
    assert item.state == ReviewState.pending


def test_a_registration_before_the_qualification_of_an_out_of_scope_worker_reveals_no_date(
    client, world, b_holds_assistant
):
    login(client, "t_coord_a")
    content = f"身份证号,等级,登记日期\n{world.worker_b.id_number},assistant,2024-01-01\n".encode()
    html = _preview(client, "registrations", content)
    assert "2024-12-20" not in html and 'id="import-errors"' not in html


def _preview(client, kind: str, content: bytes) -> str:
    url = f"/exams/import/{kind}"
    return client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(content), f"{kind}.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)


def _import(client, kind: str, content: bytes) -> str:
    html = _preview(client, kind, content)
    match = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html)
    if match:
        url = f"/exams/import/{kind}"
        confirm = client.post(f"{url}/confirm", data={"csrf_token": csrf_token(client, url), "token": match.group(1)})
        assert confirm.status_code == 302
    return html


def _queue_of(app, username: str) -> str:
    c = app.test_client()
    login(c, username)
    return c.get("/exams/queue").get_data(as_text=True)


def test_the_queue_shows_a_district_coordinator_only_rows_of_importers_within_their_scope(app, client, world):
    f.user(Role.coordinator, "t_coord_b", districts=["500104"])
    login(client, "t_coord_city")
    _import(client, "results", _results("11010519491231002X", "全市行"))
    city_item = db.session.query(ReviewItem).filter_by(name="全市行").one()
    other = app.test_client()
    login(other, "t_coord_a")
    _import(other, "results", _results(f.id_number("500104"), "渝中行"))
    own_item = db.session.query(ReviewItem).filter_by(name="渝中行").one()

    mine = _queue_of(app, "t_coord_a")
    assert "渝中行" in mine and "全市行" not in mine
    city = _queue_of(app, "t_coord_city")
    assert "渝中行" in city and "全市行" in city
    neighbour = _queue_of(app, "t_coord_b")
    assert "渝中行" not in neighbour and "全市行" not in neighbour

    # the city-wide row cannot be discarded or matched by the district coordinator
    assert post(other, f"/exams/queue/{city_item.id}/discard").status_code == 404
    assert post(other, f"/exams/queue/{city_item.id}/match", {"id_number": world.worker_a.id_number}).status_code == 404
    db.session.expire_all()
    assert db.session.get(ReviewItem, city_item.id).state == ReviewState.pending
    assert post(other, f"/exams/queue/{own_item.id}/discard").status_code == 302
    db.session.expire_all()
    assert db.session.get(ReviewItem, own_item.id).state == ReviewState.discarded


def test_the_city_wide_coordinator_applies_a_district_row_to_the_worker_it_names(app, client, world):
    login(client, "t_coord_a")
    _import(client, "results", _content("results", world.worker_b.id_number))
    item = db.session.query(ReviewItem).filter_by(id_number=world.worker_b.id_number).one()
    city = app.test_client()
    login(city, "t_coord_city")
    assert post(city, f"/exams/queue/{item.id}/match", {"id_number": world.worker_b.id_number}).status_code == 302
    assert _records_of(world.worker_b.id)["ExamResult"] == 1


def test_the_queue_counts_are_scoped(app, client, world):
    a = app.test_client()
    login(a, "t_coord_a")

    def counts(c):
        overview = re.search(r'id="queue-count">(\d+)<', c.get("/exams/").get_data(as_text=True)).group(1)
        home = re.search(r'id="stat-queue">(\d+)<', c.get("/").get_data(as_text=True)).group(1)
        return int(overview), int(home)

    login(client, "t_coord_city")
    before_a, before_city = counts(a), counts(client)
    _import(client, "results", _content("results", "11010519491231002X"))
    assert counts(client) == (before_city[0] + 1, before_city[1] + 1)
    assert counts(a) == before_a
