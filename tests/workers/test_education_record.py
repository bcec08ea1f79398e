"""Education (学历) on the worker's record: shown, edited by coordinators in scope, read-only to
the worker; and the registry's "education at least" filter."""

from datetime import date, timedelta

import pytest

from app.core.audit import AuditAction, AuditLog
from app.extensions import db
from app.workers.education import Education, EducationLevel
from app.workers.education_records import level_on
from tests.factories import login, post


def _educate(worker, level, obtained_on):
    entry = Education(worker_id=worker.id, level=level, obtained_on=obtained_on)
    db.session.add(entry)
    db.session.commit()
    return entry


def _levels(worker):
    return {e.level: e.obtained_on for e in db.session.query(Education).filter_by(worker_id=worker.id)}


def test_the_level_on_a_date_is_the_highest_obtained_by_then():
    entries = [
        Education(level=EducationLevel.senior_secondary, obtained_on=date(2008, 7, 1)),
        Education(level=EducationLevel.bachelor, obtained_on=date(2020, 7, 1)),
        Education(level=EducationLevel.college, obtained_on=None),
    ]
    assert level_on(entries, date(2020, 6, 30)) == EducationLevel.college  # no date: held before any date
    assert level_on(entries, date(2020, 7, 1)) == EducationLevel.bachelor
    assert level_on([], date(2020, 7, 1)) is None


def test_a_coordinator_adds_edits_and_deletes_a_level_on_the_record_and_each_change_is_audited(client, world):
    login(client, "t_coord_a")
    worker = world.worker_a
    page = client.get(f"/workers/{worker.id}").get_data(as_text=True)
    assert 'id="education"' in page and 'id="education-add"' in page

    response = post(client, f"/workers/{worker.id}/education/new", {"level": "college", "obtained_on": "2015-07-01"})
    assert response.status_code == 302
    assert _levels(worker) == {EducationLevel.college: date(2015, 7, 1)}
    entry = db.session.query(Education).filter_by(worker_id=worker.id).one()
    page = client.get(f"/workers/{worker.id}").get_data(as_text=True)
    assert "2015-07-01" in page.split('id="education"')[1]

    response = post(
        client, f"/workers/{worker.id}/education/{entry.id}", {"level": "bachelor", "obtained_on": "2016-07-01"}
    )
    assert response.status_code == 302
    assert _levels(worker) == {EducationLevel.bachelor: date(2016, 7, 1)}

    response = post(client, f"/workers/{worker.id}/education/{entry.id}/delete")
    assert response.status_code == 302
    assert _levels(worker) == {}
    entries = db.session.query(AuditLog).filter_by(entity_type="education", entity_id=entry.id).order_by(AuditLog.id)
    assert [AuditAction(e.action) for e in entries] == [AuditAction.create, AuditAction.update, AuditAction.delete]


def test_the_same_level_twice_and_a_future_date_are_refused_on_the_form(client, world, today):
    login(client, "t_coord_a")
    worker = world.worker_a
    _educate(worker, EducationLevel.college, date(2015, 7, 1))
    again = post(client, f"/workers/{worker.id}/education/new", {"level": "college", "obtained_on": ""})
    assert again.status_code == 200 and 'class="invalid-feedback"' in again.get_data(as_text=True)
    future = (today + timedelta(days=1)).isoformat()
    late = post(client, f"/workers/{worker.id}/education/new", {"level": "bachelor", "obtained_on": future})
    assert late.status_code == 200
    assert _levels(worker) == {EducationLevel.college: date(2015, 7, 1)}


def test_another_districts_worker_cannot_be_given_education(client, world):
    login(client, "t_coord_a")
    response = post(client, f"/workers/{world.worker_b.id}/education/new", {"level": "college", "obtained_on": ""})
    assert response.status_code == 404
    assert _levels(world.worker_b) == {}
    entry = _educate(world.worker_b, EducationLevel.college, None)
    assert post(client, f"/workers/{world.worker_b.id}/education/{entry.id}/delete").status_code == 404
    # nor through a worker in scope with another worker's record id
    assert post(client, f"/workers/{world.worker_a.id}/education/{entry.id}/delete").status_code == 404
    assert _levels(world.worker_b) == {EducationLevel.college: None}


@pytest.mark.parametrize("username", ["t_worker_a", "t_payroll_a"])
def test_a_worker_and_payroll_see_education_read_only(client, world, username):
    _educate(world.worker_a, EducationLevel.bachelor, date(2012, 7, 1))
    login(client, username)
    url = "/workers/me" if username == "t_worker_a" else f"/workers/{world.worker_a.id}"
    page = client.get(url).get_data(as_text=True)
    section = page.split('id="education"')[1]
    assert "2012-07-01" in section and 'id="education-add"' not in page
    refused = post(client, f"/workers/{world.worker_a.id}/education/new", {"level": "college", "obtained_on": ""})
    assert refused.status_code in (302, 403)
    assert _levels(world.worker_a) == {EducationLevel.bachelor: date(2012, 7, 1)}


def test_the_registry_filters_by_education_at_least_a_level_held_today(client, world, today):
    _educate(world.worker_a, EducationLevel.bachelor, date(2012, 7, 1))
    _educate(world.worker_b, EducationLevel.senior_secondary, date(2005, 7, 1))
    _educate(world.worker_b, EducationLevel.college, today + timedelta(days=30))  # not yet obtained
    login(client, "t_coord_city")
    page = client.get("/workers/").get_data(as_text=True)
    assert 'id="education-filter"' in page
    college = client.get("/workers/?education=college").get_data(as_text=True)
    assert "张伟" in college and "李娜" not in college
    secondary = client.get("/workers/?education=senior_secondary").get_data(as_text=True)
    assert "张伟" in secondary and "李娜" in secondary
    postgraduate = client.get("/workers/?education=postgraduate").get_data(as_text=True)
    assert "张伟" not in postgraduate and "李娜" not in postgraduate
    anything = client.get("/workers/?education=nonsense").get_data(as_text=True)
    assert "张伟" in anything and "李娜" in anything
