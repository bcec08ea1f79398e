import pytest

from app.core.tabular import FileRejected
from app.extensions import db
from app.places.importer import apply_places_import, plan_places_import
from app.places.models import Community, District, Street
from tests.factories import login, post


def test_the_shipped_chongqing_districts_are_loaded_by_the_migration(app_ctx):
    districts = {d.code: d.name for d in db.session.query(District)}
    assert len(districts) == 38
    assert districts["500103"] == "渝中区" and districts["500156"] == "武隆区"


CSV = (
    "区县代码,街道,社区代码,社区\r\n"
    "500103,解放碑街道,500103001001,民生社区\r\n"
    "500103,解放碑街道,500103001002,和平社区\r\n"
)


def test_places_import_creates_streets_and_communities_and_is_idempotent(app_ctx):
    plan = plan_places_import("places.csv", CSV.encode("utf-8-sig"))
    assert plan.ok and plan.new_streets == 1 and plan.new_communities == 2
    apply_places_import(plan, "places.csv")
    again = plan_places_import("places.csv", CSV.encode())
    assert again.ok and not again.has_changes
    street = db.session.query(Street).filter_by(name="解放碑街道").one()
    assert {c.name for c in street.communities} == {"民生社区", "和平社区"}


def test_places_import_reports_every_bad_row(app_ctx):
    bad = (
        "district_code,street,community_code,community\r\n"
        "999999,x,1,a\r\n500103,,2,b\r\n500103,y,2,c\r\n500103,y,abc,d\r\n"
    )
    plan = plan_places_import("places.csv", bad.encode())
    assert sorted(e.row for e in plan.errors) == [2, 3, 4, 5]
    assert db.session.query(Community).count() == 0


def test_places_import_rejects_a_headerless_file(app_ctx):
    with pytest.raises(FileRejected):
        plan_places_import("p.csv", "500103,解放碑街道,500103001001,民生社区\r\n".encode())


def test_admin_adds_a_street_and_a_community_on_the_page(client, world):
    login(client, "t_admin")
    district = db.session.query(District).filter_by(code="500105").one()
    assert post(client, f"/places/districts/{district.id}/streets", {"street-name": "观音桥街道"}).status_code == 302
    street = db.session.query(Street).filter_by(name="观音桥街道").one()
    response = post(
        client,
        f"/places/districts/{district.id}/communities/new",
        {"street_id": str(street.id), "code": "500105001001", "name": "北城社区"},
    )
    assert response.status_code == 302
    assert db.session.query(Community).filter_by(code="500105001001").one().district_id == district.id
    duplicate = post(
        client,
        f"/places/districts/{district.id}/communities/new",
        {"street_id": str(street.id), "code": "500105001001", "name": "又一个"},
    )
    assert duplicate.status_code == 200 and "is-invalid" in duplicate.get_data(as_text=True)


def test_moving_a_community_to_another_street_moves_its_workers_with_it(client, world):
    from app.workers.models import Worker

    other_street = Street(district_id=world.community_a.district_id, name="另一街道")
    db.session.add(other_street)
    db.session.commit()
    login(client, "t_admin")
    response = post(
        client,
        f"/places/communities/{world.community_a.id}",
        {"street_id": str(other_street.id), "code": world.community_a.code, "name": "和平社区"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Worker, world.worker_a.id).street_id == other_street.id
