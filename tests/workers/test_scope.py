"""Scope in the registry's writes (issue #10): a district coordinator can neither take over a worker
of another district nor learn anything about them from the answers of the forms and the posts import."""

import io
import re

import pytest

from app.extensions import db
from app.workers.models import PostPeriod, Worker
from tests import factories as f
from tests.factories import csrf_token, login, post

HEADER = "身份证号,姓名,手机号,社区代码,岗位,到岗日期,离岗日期"
REFUSED = "此人无法在您负责的区县录入"  # the neutral answer, shown for any person out of reach
ALREADY = "已登记"  # "A worker with this ID number is already registered."


@pytest.fixture
def coord(client, world):
    login(client, "t_coord_a")
    return client


def _upload(client, rows: list[str]):
    content = "\r\n".join([HEADER, *rows]).encode("utf-8")
    return client.post(
        "/workers/import",
        data={"csrf_token": csrf_token(client, "/workers/import"), "file": (io.BytesIO(content), "posts.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)


def _snapshot(worker):
    db.session.expire_all()
    w = db.session.get(Worker, worker.id)
    periods = db.session.query(PostPeriod).filter_by(worker_id=worker.id).order_by(PostPeriod.start_date).all()
    return w.name, w.phone, w.district_id, [(p.community_id, p.start_date, p.end_date) for p in periods]


def test_a_posts_row_cannot_take_over_a_worker_of_another_district(coord, world):
    before = _snapshot(world.worker_b)
    html = _upload(
        coord, [f"{world.worker_b.id_number},王五,13911112222,{world.community_a.code},专职工作人员,2020-01-01,"]
    )
    assert 'id="import-errors"' in html and 'id="confirm-import"' not in html
    assert REFUSED in html
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html)
    assert token is None  # nothing staged, nothing to confirm
    assert _snapshot(world.worker_b) == before


def test_the_refusal_never_reveals_the_other_workers_dates(coord, world):
    html = _upload(coord, [f"{world.worker_b.id_number},李娜,,{world.community_a.code},专职工作人员,2019-06-01,"])
    assert REFUSED in html
    assert "2020-01-01" not in html  # worker_b's start date


def test_a_posts_row_for_a_worker_in_scope_still_updates_them(coord, world):
    html = _upload(
        coord, [f"{world.worker_a.id_number},张伟,13955556666,{world.community_a.code},专职工作人员,2020-01-01,"]
    )
    assert 'id="confirm-import"' in html


def test_the_new_worker_form_does_not_say_an_out_of_scope_id_number_is_registered(coord, world):
    data = {
        "id_number": world.worker_b.id_number,
        "name": "赵敏",
        "phone": "",
        "community_id": str(world.community_a.id),
        "post_type": "staff",
        "start_date": "2024-03-01",
        "end_date": "",
    }
    response = post(coord, "/workers/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "is-invalid" in page
    assert ALREADY not in page and REFUSED in page
    assert _snapshot(world.worker_b)[0] == "李娜"
    # a worker of one's own districts is named as registered: the coordinator can see them anyway
    own = post(coord, "/workers/new", {**data, "id_number": world.worker_a.id_number}).get_data(as_text=True)
    assert ALREADY in own


def test_the_edit_form_does_not_say_an_out_of_scope_id_number_is_registered(coord, world):
    page = post(
        coord,
        f"/workers/{world.worker_a.id}/edit",
        {"id_number": world.worker_b.id_number, "name": "张伟", "phone": ""},
    ).get_data(as_text=True)
    assert ALREADY not in page and REFUSED in page


def test_the_city_wide_coordinator_moves_a_worker_between_districts(client, world):
    login(client, "t_coord_city")
    html = _upload(client, [f"{world.worker_b.id_number},李娜,,{world.community_a.code},专职工作人员,2020-01-01,"])
    assert 'id="confirm-import"' in html


def test_the_planner_refuses_rows_of_workers_outside_the_allowed_districts(app_ctx, world):
    from app.workers.importer import plan_posts_import

    other = f.worker(world.community_b, name="王芳", number=f.id_number("500104"))
    content = "\n".join([HEADER, f"{other.id_number},王芳,,{world.community_a.code},专职工作人员,2020-01-01,"]).encode()
    plan = plan_posts_import("p.csv", content, {world.community_a.district_id})
    assert [e.row for e in plan.errors] == [2] and not plan.has_changes
    assert plan_posts_import("p.csv", content, None).ok
