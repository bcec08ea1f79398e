from datetime import date

import pytest

from app.core.audit import AuditLog
from app.extensions import db
from app.workers.models import PostPeriod, Worker
from tests import factories as f
from tests.factories import login, post


@pytest.fixture
def coord(client, world):
    login(client, "t_coord_a")
    return client


def _new_worker_form(world, **fields):
    data = {
        "id_number": f.id_number(),
        "name": "赵敏",
        "phone": "13900000009",
        "community_id": str(world.community_a.id),
        "post_type": "staff",
        "start_date": "2024-03-01",
        "end_date": "",
    }
    data.update(fields)
    return data


def test_create_a_worker(coord, world):
    data = _new_worker_form(world)
    response = post(coord, "/workers/new", data)
    assert response.status_code == 302
    worker = db.session.query(Worker).filter_by(id_number=data["id_number"]).one()
    assert worker.name == "赵敏" and worker.periods[0].start_date == date(2024, 3, 1)
    assert "赵敏" in coord.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize(
    "field,value",
    [
        ("id_number", "500103199001011234"),
        ("phone", "1234"),
        ("name", ""),
        ("start_date", "2024-02-30"),
        ("end_date", "2020-01-01"),
    ],
)
def test_bad_input_re_renders_the_form_with_the_error_and_writes_nothing(coord, world, field, value):
    before = db.session.query(Worker).count()
    response = post(coord, "/workers/new", _new_worker_form(world, **{field: value}))
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.query(Worker).count() == before


def test_a_coordinator_cannot_create_a_worker_in_another_district(coord, world):
    response = post(coord, "/workers/new", _new_worker_form(world, community_id=str(world.community_b.id)))
    assert response.status_code == 200
    assert db.session.query(Worker).filter_by(name="赵敏").count() == 0


def test_an_overlapping_period_is_refused_on_the_page(coord, world):
    response = post(
        coord,
        f"/workers/{world.worker_a.id}/periods/new",
        {"community_id": str(world.community_a.id), "post_type": "head", "start_date": "2023-01-01", "end_date": ""},
    )
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    assert db.session.query(PostPeriod).filter_by(worker_id=world.worker_a.id).count() == 1


def test_a_transfer_on_the_page(coord, world):
    period = world.worker_a.periods[0]
    assert (
        post(
            coord,
            f"/workers/{world.worker_a.id}/periods/{period.id}",
            {
                "community_id": str(world.community_a.id),
                "post_type": "staff",
                "start_date": "2020-01-01",
                "end_date": "2026-05-19",
            },
        ).status_code
        == 302
    )
    assert (
        post(
            coord,
            f"/workers/{world.worker_a.id}/periods/new",
            {
                "community_id": str(world.community_a.id),
                "post_type": "deputy",
                "start_date": "2026-05-20",
                "end_date": "",
            },
        ).status_code
        == 302
    )
    page = coord.get(f"/workers/{world.worker_a.id}").get_data(as_text=True)
    assert "2026-05-19" in page and "2026-05-20" in page


def test_the_list_masks_id_numbers_and_the_detail_shows_them(coord, world):
    listing = coord.get("/workers/").get_data(as_text=True)
    assert world.worker_a.masked_id in listing
    assert world.worker_a.id_number not in listing
    assert world.worker_a.id_number in coord.get(f"/workers/{world.worker_a.id}").get_data(as_text=True)


def test_search_by_name_id_and_mobile(client, world):
    login(client, "t_coord_city")
    for q in (
        "张",
        "张伟",
        world.worker_a.id_number,
        world.worker_a.id_number.lower(),
        "13800000001",
        world.worker_a.id_number[:10],
    ):
        page = client.get("/workers/", query_string={"q": q}).get_data(as_text=True)
        assert "张伟" in page and "李娜" not in page, q


def test_filters_sorting_and_pagination(client, world):
    comm = world.community_a
    for i in range(60):
        f.worker(comm, name=f"测{i:02d}", start=date(2021, 1, 1), end=date(2022, 1, 1) if i % 2 else None)
    db.session.commit()
    login(client, "t_coord_city")
    page1 = client.get("/workers/", query_string={"district": comm.district_id, "sort": "name"})
    text = page1.get_data(as_text=True)
    assert "61" in text  # 60 + 张伟 in that district
    assert "测00" in text and "测59" not in text
    page2 = client.get("/workers/", query_string={"district": comm.district_id, "sort": "name", "page": 2})
    assert "测59" in page2.get_data(as_text=True) or "张伟" in page2.get_data(as_text=True)
    desc = client.get("/workers/", query_string={"district": comm.district_id, "sort": "-name"}).get_data(as_text=True)
    assert desc.index("测59") < desc.index("测58")
    left = client.get("/workers/", query_string={"district": comm.district_id, "status": "left"}).get_data(as_text=True)
    assert "测01" in left and "测00" not in left
    in_post = client.get("/workers/", query_string={"status": "in_post", "q": "测"}).get_data(as_text=True)
    assert "测00" in in_post and "测01" not in in_post
    by_post = client.get("/workers/", query_string={"post": "head"}).get_data(as_text=True)
    assert "张伟" not in by_post


def test_garbage_query_arguments_never_fail(coord, world):
    for qs in (
        {"page": "x"},
        {"page": "-5"},
        {"district": "abc"},
        {"sort": "drop table"},
        {"post": "boss"},
        {"status": "?"},
        {"q": "%_\\"},
        {"page": "99999"},
    ):
        assert coord.get("/workers/", query_string=qs).status_code == 200, qs


def test_edits_and_deletes_are_in_the_audit_log_with_before_and_after(coord, world):
    post(
        coord,
        f"/workers/{world.worker_a.id}/edit",
        {"id_number": world.worker_a.id_number, "name": "张伟伟", "phone": "13800000001"},
    )
    entry = (
        db.session.query(AuditLog).filter_by(entity_type="worker", action="update", entity_id=world.worker_a.id).one()
    )
    assert entry.before["name"] == "张伟" and entry.after["name"] == "张伟伟"
    assert entry.user_id == world.coord_a.id


def test_every_export_of_full_id_numbers_is_audited(coord, world):
    response = coord.get("/workers/export.xlsx")
    assert response.status_code == 200
    assert response.data[:2] == b"PK"
    entry = db.session.query(AuditLog).filter_by(action="export").one()
    assert entry.user_id == world.coord_a.id and "full ID" in entry.summary


def test_my_record_shows_the_full_id_number_and_history(client, world):
    login(client, "t_worker_a")
    page = client.get("/workers/me").get_data(as_text=True)
    assert world.worker_a.id_number in page and "********" not in page
    assert "和平社区" in page
