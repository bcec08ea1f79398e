"""A community's type (社区 urban / 村 village): the places file's optional column and the edit page."""

from app.extensions import db
from app.places.importer import apply_places_import, plan_places_import
from app.places.models import Community, CommunityType
from tests.factories import login, post


def _import(text: str):
    plan = plan_places_import("places.csv", text.encode("utf-8-sig"))
    if plan.ok:
        apply_places_import(plan, "places.csv")
    return plan


def _type(code: str) -> CommunityType:
    return db.session.query(Community).filter_by(code=code).one().community_type


def test_the_type_column_is_optional_and_a_new_community_without_one_is_urban(app_ctx):
    plan = _import(
        "区县代码,街道,社区代码,社区,类型\r\n"
        "500103,解放碑街道,500103001001,民生社区,社区\r\n"
        "500103,解放碑街道,500103001002,石桥村,村\r\n"
        "500103,解放碑街道,500103001003,新村,\r\n"
    )
    assert plan.ok, plan.errors
    assert [_type(c) for c in ("500103001001", "500103001002", "500103001003")] == [
        CommunityType.urban,
        CommunityType.village,
        CommunityType.urban,
    ]
    assert not plan_places_import(
        "p.csv", "区县代码,街道,社区代码,社区\r\n500103,解放碑街道,500103001002,石桥村\r\n".encode()
    ).has_changes
    changed = _import(
        "district_code,street,community_code,community,community_type\r\n500103,解放碑街道,500103001002,石桥村,urban\r\n"
    )
    assert changed.changed_communities == 1 and _type("500103001002") == CommunityType.urban


def test_an_unknown_type_is_a_row_error(app_ctx):
    plan = _import("区县代码,街道,社区代码,社区,类型\r\n500103,解放碑街道,500103001001,民生社区,乡\r\n")
    assert [(e.row, e.column.split(" ")[0]) for e in plan.errors] == [(2, "类型")]
    assert db.session.query(Community).count() == 0


def test_the_admin_changes_the_type_on_the_edit_page(client, world):
    login(client, "t_admin")
    url = f"/places/communities/{world.community_a.id}"
    assert 'name="community_type"' in client.get(url).get_data(as_text=True)
    data = {
        "street_id": str(world.community_a.street_id),
        "code": world.community_a.code,
        "name": "和平村",
        "community_type": "village",
    }
    assert post(client, url, data).status_code == 302
    db.session.refresh(world.community_a)
    assert world.community_a.community_type == CommunityType.village
    assert '<option selected value="village">' in client.get(url).get_data(as_text=True)
