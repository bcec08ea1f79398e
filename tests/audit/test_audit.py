from app.core.audit import AuditLog
from app.extensions import db
from tests.factories import login, post


def test_creates_are_logged_and_passwords_never_copied(world):
    entry = db.session.query(AuditLog).filter_by(entity_type="user", action="create", entity_id=world.coord_a.id).one()
    assert entry.after["username"] == "t_coord_a"
    assert "password_hash" not in entry.after


def test_deletes_are_logged_with_the_before_state(client, world):
    login(client, "t_coord_a")
    period = world.worker_a.periods[0]
    post(
        client,
        f"/workers/{world.worker_a.id}/periods/new",
        {
            "community_id": str(world.community_a.id),
            "post_type": "head",
            "start_date": "2010-01-01",
            "end_date": "2011-01-01",
        },
    )
    older = [p for p in world.worker_a.periods if p.id != period.id][0]
    post(client, f"/workers/{world.worker_a.id}/periods/{older.id}/delete")
    entry = db.session.query(AuditLog).filter_by(entity_type="post_period", action="delete").one()
    assert entry.before["start_date"] == "2010-01-01" and entry.user_id == world.coord_a.id


def test_admin_browses_and_filters_the_log(client, world):
    login(client, "t_admin")
    client.get("/workers/export.csv")
    page = client.get("/admin/audit/", query_string={"action": "export"}).get_data(as_text=True)
    assert "workers export" in page and "t_coord_a" not in page
    page = client.get("/admin/audit/", query_string={"entity": "user", "user": "nobody"}).get_data(as_text=True)
    assert "workers export" not in page
    assert client.get("/admin/audit/", query_string={"from": "garbage", "to": "2026-13-45"}).status_code == 200
