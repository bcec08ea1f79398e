"""The worker list's total ("共 N 名") is kept a minute when it is large (app/core/totals.py):
exact for a short list, shared only by users of the same scope, forgotten when this process
changes the registry."""

import re

import pytest
import sqlalchemy as sa

from app.core.totals import forget_totals
from app.extensions import db
from app.workers.models import Worker
from tests import factories as f
from tests.factories import login


@pytest.fixture
def keep_totals(app):
    """Totals of `from_rows` workers or more kept (the default is 10,000)."""
    saved = {k: app.config[k] for k in ("LIST_TOTAL_CACHE_FROM", "LIST_TOTAL_CACHE_SECONDS")}

    def configure(from_rows: int, seconds: int = 60):
        app.config.update(LIST_TOTAL_CACHE_FROM=from_rows, LIST_TOTAL_CACHE_SECONDS=seconds)

    forget_totals()
    yield configure
    forget_totals()
    app.config.update(saved)


def _total(client, **args) -> int:
    html = client.get("/workers/", query_string=args).get_data(as_text=True)
    count = re.search(r'id="result-count">([^<]*)<', html).group(1)
    return int(re.sub(r"\D", "", count))


def _moved_by_another_process(worker, district_id: int) -> None:
    """A change this process's session does not see being made (as by another web host or an
    import on a Celery worker): a plain UPDATE, no ORM object flushed."""
    db.session.execute(sa.update(Worker).where(Worker.id == worker.id).values(district_id=district_id))
    db.session.commit()


def _three_in_a(world):
    extra = [f.worker(world.community_a, name=f"王{i}") for i in range(2)]
    db.session.commit()
    return extra


def test_a_large_total_is_kept_until_this_process_changes_a_worker(client, world, keep_totals):
    keep_totals(from_rows=2)
    moved, _ = _three_in_a(world)
    login(client, "t_coord_city")
    district_a = world.community_a.district_id
    assert _total(client, district=district_a) == 3
    _moved_by_another_process(moved, world.community_b.district_id)
    assert _total(client, district=district_a) == 3  # kept: the other process's change shows within the minute
    f.worker(world.community_b, name="新人")  # a worker added here: every kept total is forgotten
    db.session.commit()
    assert _total(client, district=district_a) == 2


@pytest.mark.parametrize(
    ("from_rows", "seconds"),
    [(10, 60), (1, 0)],
    ids=["a total under the threshold", "zero seconds"],
)
def test_a_total_not_kept_is_counted_on_every_page(client, world, keep_totals, from_rows, seconds):
    keep_totals(from_rows=from_rows, seconds=seconds)
    moved, _ = _three_in_a(world)
    login(client, "t_coord_city")
    district_a = world.community_a.district_id
    assert _total(client, district=district_a) == 3
    _moved_by_another_process(moved, world.community_b.district_id)
    assert _total(client, district=district_a) == 2


def test_a_kept_total_is_never_shown_to_a_user_of_another_scope(app, world, keep_totals):
    keep_totals(from_rows=1)
    _three_in_a(world)
    city, district = app.test_client(), app.test_client()
    login(city, "t_coord_city")
    login(district, "t_coord_a")
    everyone = db.session.scalar(sa.select(sa.func.count()).select_from(Worker))
    assert _total(city) == everyone
    assert _total(district) == 3  # the same page and filters, the district's own workers
    assert _total(city, status="in_post") != _total(city, status="left")  # the filters are part of the key
