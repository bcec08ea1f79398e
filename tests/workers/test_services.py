from datetime import date

import pytest

from app.core.services import ServiceError
from app.extensions import db
from app.workers import services
from app.workers.models import PostType, Worker
from tests import factories as f


@pytest.fixture
def comm(app_ctx):
    return f.community("500103")


def test_birth_date_and_sex_come_from_the_id_number(comm):
    w = f.worker(comm, number="11010519491231002x")
    assert w.id_number == "11010519491231002X"
    assert w.birth_date == date(1949, 12, 31) and w.sex == "F"


def test_a_bad_check_character_is_refused_and_nothing_is_written(comm):
    with pytest.raises(ServiceError) as info:
        f.worker(comm, number="110105194912310021")
    assert info.value.field == "id_number"
    assert db.session.query(Worker).count() == 0


def test_the_same_id_number_cannot_be_registered_twice(comm):
    w = f.worker(comm)
    with pytest.raises(ServiceError):
        f.worker(comm, number=w.id_number)


def test_a_bad_mobile_is_refused(comm):
    with pytest.raises(ServiceError) as info:
        f.worker(comm, phone="12345")
    assert info.value.field == "phone"


def test_periods_never_overlap(comm):
    w = f.worker(comm, start=date(2020, 1, 1), end=date(2022, 6, 30))
    with pytest.raises(ServiceError):
        services.add_period(w, services.PostData(comm.id, PostType.head, date(2022, 6, 30), None))
    with pytest.raises(ServiceError):
        services.add_period(w, services.PostData(comm.id, PostType.head, date(2019, 1, 1), None))
    services.add_period(w, services.PostData(comm.id, PostType.head, date(2022, 7, 1), None))
    assert len(w.periods) == 2


def test_an_open_period_blocks_every_later_start(comm):
    w = f.worker(comm, start=date(2020, 1, 1))
    with pytest.raises(ServiceError):
        services.add_period(w, services.PostData(comm.id, PostType.head, date(2030, 1, 1), None))


def test_the_end_must_not_be_before_the_start(comm):
    w = f.worker(comm, start=date(2020, 1, 1), end=date(2020, 12, 31))
    with pytest.raises(ServiceError) as info:
        services.add_period(w, services.PostData(comm.id, PostType.head, date(2021, 5, 1), date(2021, 4, 30)))
    assert info.value.field == "end_date"


def test_a_transfer_moves_the_worker_to_the_new_district(comm):
    other = f.community("500104")
    w = f.worker(comm, start=date(2020, 1, 1), end=date(2026, 5, 19))
    services.add_period(w, services.PostData(other.id, PostType.deputy, date(2026, 5, 20), None))
    db.session.refresh(w)
    assert w.district_id == other.district_id
    assert w.post_type == PostType.deputy and w.post_end is None


def test_deleting_the_latest_period_restores_the_previous_one_as_current(comm):
    other = f.community("500104")
    w = f.worker(comm, start=date(2020, 1, 1), end=date(2026, 5, 19))
    later = services.add_period(w, services.PostData(other.id, PostType.deputy, date(2026, 5, 20), None))
    services.delete_period(later)
    db.session.refresh(w)
    assert w.district_id == comm.district_id and w.post_end == date(2026, 5, 19)


def test_a_coordinator_cannot_place_a_worker_outside_their_districts(comm):
    other = f.community("500104")
    with pytest.raises(ServiceError) as info:
        services.create_worker(
            f.id_number(),
            "王芳",
            None,
            services.PostData(other.id, PostType.staff, date(2020, 1, 1)),
            allowed_districts={comm.district_id},
        )
    assert info.value.field == "community_id"
