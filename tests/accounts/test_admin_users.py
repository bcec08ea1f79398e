import pytest

from app.accounts.models import User
from app.core.access import Role
from app.extensions import db
from tests.factories import login, post


@pytest.fixture
def admin(client, world):
    login(client, "t_admin")
    return client


def _create(admin, **fields):
    data = {
        "username": "new_coord",
        "display_name": "王专干",
        "email": "",
        "role": "coordinator",
        "password": "Start-2026x",
        "active": "y",
    }
    data.update(fields)
    return post(admin, "/admin/users/new", data)


def test_admin_creates_a_coordinator_scoped_to_districts(admin, world):
    response = _create(admin, districts=["500103", "500104"])
    assert response.status_code == 302
    user = db.session.query(User).filter_by(username="new_coord").one()
    assert user.role == Role.coordinator
    assert sorted(d.code for d in user.districts) == ["500103", "500104"]
    assert user.must_change_password


def test_a_coordinator_without_districts_or_city_wide_is_refused(admin, world):
    response = _create(admin)
    assert response.status_code == 200
    assert db.session.query(User).filter_by(username="new_coord").count() == 0


def test_admin_links_a_worker_account_to_a_worker_record(admin, world):
    wid = world.worker_b.id_number
    world.worker_user_b.worker_id = None
    db.session.commit()
    response = _create(admin, username="lina", role="worker", worker_id_number=wid.lower())
    assert response.status_code == 302
    assert db.session.query(User).filter_by(username="lina").one().worker_id == world.worker_b.id


def test_a_worker_record_links_to_one_account_only(admin, world):
    response = _create(admin, username="lina2", role="worker", worker_id_number=world.worker_a.id_number)
    assert response.status_code == 200
    assert "t_worker_a" in response.get_data(as_text=True)
    assert db.session.query(User).filter_by(username="lina2").count() == 0


def test_admin_changes_role_and_scope(admin, world):
    response = post(
        admin,
        f"/admin/users/{world.coord_a.id}",
        {"username": "t_coord_a", "display_name": "x", "role": "payroll", "city_wide": "y", "active": "y"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, world.coord_a.id)
    assert user.role == Role.payroll and user.city_wide and user.districts == []


def test_a_taken_user_name_is_refused(admin, world):
    response = _create(admin, username="t_coord_a", districts=["500103"])
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
