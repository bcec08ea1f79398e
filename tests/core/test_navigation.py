"""Every page the top menu does not name leads one level up, and the link works."""

import re

import pytest

from app.core.navigation import PARENTS
from tests.factories import login

BACK = re.compile(r'<a class="link-secondary text-decoration-none" href="([^"]+)" id="back-link">← ([^<]+)</a>')


def _back(html: str):
    match = BACK.search(html)
    return match.groups() if match else None


def test_a_worker_edit_page_leads_back_to_that_workers_record(client, world):
    login(client, "t_coord_a")
    page = client.get(f"/workers/{world.worker_a.id}/edit").get_data(as_text=True)
    assert _back(page) == (f"/workers/{world.worker_a.id}", "档案")
    assert client.get(f"/workers/{world.worker_a.id}").status_code == 200


@pytest.mark.parametrize(
    ("user", "url", "up"),
    [
        ("t_admin", "/admin/users/new", "/admin/users"),
        ("t_payroll_city", "/allowance/rates", "/allowance/"),
        ("t_coord_a", "/exams/queue", "/exams/"),
        ("t_coord_a", "/workers/import", "/workers/"),
        ("t_coord_a", "/training/calendar", "/training/"),
        ("t_worker_a", "/notices/preferences", "/notices"),
    ],
)
def test_sub_pages_lead_one_level_up(client, world, user, url, up):
    login(client, user)
    response = client.get(url)
    assert response.status_code == 200
    back = _back(response.get_data(as_text=True))
    assert back is not None and back[0] == up
    assert client.get(up).status_code == 200


def test_top_level_pages_show_no_back_link(client, world):
    login(client, "t_coord_a")
    assert _back(client.get("/workers/").get_data(as_text=True)) is None


def test_every_parent_named_in_the_map_exists(app):
    endpoints = set(app.view_functions)
    assert set(PARENTS) <= endpoints
    assert {parent for parent, _label in PARENTS.values()} <= endpoints
