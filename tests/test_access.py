"""Every route, every role and anonymous: the designed answer, checked on the server."""

import pytest

from tests.factories import csrf_token, login

ROLES = ("admin", "coord_a", "coord_city", "payroll_a", "payroll_city", "worker_user")
STAFF = {"admin", "coord_a", "coord_city", "payroll_a", "payroll_city"}
EDITORS = {"admin", "coord_a", "coord_city"}
ADMIN = {"admin"}
ANYONE_LOGGED_IN = set(ROLES)
PUBLIC = "public"

# endpoint -> who may use it (PUBLIC: no login needed)
ACCESS = {
    "main.home": ANYONE_LOGGED_IN,
    "main.import_job": ANYONE_LOGGED_IN,
    "accounts.login": PUBLIC,
    "accounts.forgot_password": PUBLIC,
    "accounts.set_locale": PUBLIC,
    "accounts.logout": ANYONE_LOGGED_IN,
    "accounts.change_password": ANYONE_LOGGED_IN,
    "accounts.user_list": ADMIN,
    "accounts.user_create": ADMIN,
    "accounts.user_edit": ADMIN,
    "accounts.user_reset_password": ADMIN,
    "places.district_list": STAFF,
    "places.district_detail": STAFF,
    "places.street_create": ADMIN,
    "places.street_edit": ADMIN,
    "places.community_edit": ADMIN,
    "places.places_import": ADMIN,
    "places.places_import_confirm": ADMIN,
    "workers.worker_list": STAFF,
    "workers.worker_create": EDITORS,
    "workers.worker_detail": STAFF,
    "workers.worker_edit": EDITORS,
    "workers.period_create": EDITORS,
    "workers.period_edit": EDITORS,
    "workers.period_delete": EDITORS,
    "workers.posts_import": EDITORS,
    "workers.posts_import_confirm": EDITORS,
    "workers.worker_export": STAFF,
    "workers.my_record": {"worker_user"},
    "audit.audit_list": ADMIN,
    "exams.overview": STAFF,
    "exams.year_list": STAFF,
    "exams.year_edit": ADMIN,
    "exams.result_create": EDITORS,
    "exams.result_delete": EDITORS,
    "exams.review_create": EDITORS,
    "exams.certificate_edit": EDITORS,
    "exams.registration_create": EDITORS,
    "exams.ce_create": EDITORS,
    "exams.exam_import": EDITORS,
    "exams.exam_import_confirm": EDITORS,
    "exams.review_queue": EDITORS,
    "exams.queue_match": EDITORS,
    "exams.queue_discard": EDITORS,
    "allowance.run_list": {"admin", "payroll_a", "payroll_city"},
    "allowance.run_compute": {"payroll_city"},
    "allowance.run_detail": {"admin", "payroll_a", "payroll_city"},
    "allowance.run_submit": {"payroll_city"},
    "allowance.run_approve": {"payroll_city"},
    "allowance.run_reopen": {"payroll_city"},
    "allowance.run_lock": {"payroll_city"},
    "allowance.run_export": {"admin", "payroll_a", "payroll_city"},
    "allowance.rates": {"admin", "payroll_a", "payroll_city"},
    "allowance.holds": {"payroll_a", "payroll_city"},
    "allowance.hold_delete": {"payroll_a", "payroll_city"},
    "allowance.my_statements": {"worker_user"},
    "training.session_list": EDITORS,
    "training.course_edit": EDITORS,
    "training.session_create": EDITORS,
    "training.session_edit": EDITORS,
    "training.session_detail": EDITORS,
    "training.session_status": EDITORS,
    "training.session_complete": EDITORS,
    "training.session_enrol": EDITORS,
    "training.session_enrol_bulk": EDITORS,
    "training.enrolment_cancel": EDITORS | {"worker_user"},
    "training.roster": EDITORS,
    "training.roster_mark": EDITORS,
    "training.meeting_qr": EDITORS,
    "training.signin_sheet": EDITORS,
    "training.roster_xlsx": EDITORS,
    "training.calendar": EDITORS,
    "training.my_training": {"worker_user"},
    "training.self_enrol": {"worker_user"},
    "training.checkin": {"worker_user"},
    "training.ics": PUBLIC,
    "reminders.notice_list": ANYONE_LOGGED_IN,
    "reminders.notice_read": ANYONE_LOGGED_IN,
    "reminders.preferences": ANYONE_LOGGED_IN,
    "reminders.admin_deliveries": ADMIN,
}


def _url_args(world):
    from app.core.importing import ImportJob
    from app.extensions import db

    return {
        "worker_id": world.worker_a.id,
        "period_id": world.worker_a.periods[0].id,
        "user_id": world.coord_a.id,
        "district_id": world.community_a.district_id,
        "street_id": world.community_a.street_id,
        "community_id": world.community_a.id,
        "code": "en",
        "fmt": "csv",
        "job_id": db.session.query(ImportJob.id).scalar() or 1,
        "year_id": world.exam_year.id,
        "result_id": world.result.id,
        "qualification_id": world.qualification.id,
        "kind": "results",
        "item_id": world.queue_item.id,
        "month": "2026-10",
        "hold_id": world.hold.id,
        "course_id": world.course.id,
        "session_id": world.session.id,
        "meeting_id": world.session.meetings[0].id,
        "enrolment_id": world.enrolment.id,
        "status": "open",
        "token": "not-a-token",
        "notice_id": 1,
    }


def _routes(app):
    rules = [r for r in app.url_map.iter_rules() if r.endpoint != "static"]
    for rule in sorted(rules, key=lambda r: r.endpoint == "accounts.logout"):  # sign out last
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule, method


def test_every_route_has_a_designed_answer(app):
    endpoints = {rule.endpoint for rule, _ in _routes(app)}
    assert endpoints == set(ACCESS), "routes without a designed access rule: " + ", ".join(
        sorted(endpoints ^ set(ACCESS))
    )


@pytest.mark.parametrize("who", ("anonymous", *ROLES))
def test_every_route_answers_as_designed_for(who, app, world):
    client = app.test_client()
    if who != "anonymous":
        login(client, getattr(world, who).username)
    args = _url_args(world)
    token = csrf_token(client, "/login" if who == "anonymous" else "/account/password")
    wrong = []
    for rule, method in _routes(app):
        url = _build(app, rule, args)
        response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
        allowed = ACCESS[rule.endpoint]
        code = response.status_code
        if code >= 500:
            wrong.append(f"{method} {url}: {code}")
        elif allowed == PUBLIC:
            continue
        elif who == "anonymous":
            if not (code == 302 and "/login" in response.headers["Location"]):
                wrong.append(f"{method} {url}: anonymous got {code}, expected a redirect to sign in")
        elif who in allowed:
            if rule.endpoint == "accounts.logout":
                continue  # signing out ends at the sign-in page by design
            if code in (401, 403) or (code == 302 and "/login" in response.headers["Location"]):
                wrong.append(f"{method} {url}: {who} refused ({code}) but is allowed")
        elif code != 403:
            wrong.append(f"{method} {url}: {who} got {code}, expected 403")
    assert not wrong, "\n".join(wrong)


def _build(app, rule, args):
    with app.test_request_context():
        from flask import url_for

        values = {k: args[k] for k in rule.arguments}
        return url_for(rule.endpoint, **values)


def test_a_coordinator_asking_for_a_worker_of_another_district_gets_404(client, world):
    login(client, world.coord_a.username)
    assert client.get(f"/workers/{world.worker_b.id}").status_code == 404
    assert client.get(f"/workers/{world.worker_b.id}/edit").status_code == 404
    assert client.get(f"/workers/{world.worker_a.id}").status_code == 200


def test_a_city_wide_coordinator_sees_both_districts(client, world):
    login(client, world.coord_city.username)
    assert client.get(f"/workers/{world.worker_b.id}").status_code == 200
    assert client.get(f"/workers/{world.worker_a.id}").status_code == 200


def test_a_worker_reaches_only_their_own_record(client, world):
    login(client, world.worker_user.username)
    page = client.get("/workers/me").get_data(as_text=True)
    assert world.worker_a.id_number in page
    assert world.worker_b.id_number not in page
    assert client.get(f"/workers/{world.worker_b.id}").status_code == 403
    assert client.get(f"/workers/{world.worker_a.id}").status_code == 403
    assert client.get("/workers/").status_code == 403


def test_the_list_shows_only_workers_in_scope(client, world):
    login(client, world.coord_a.username)
    page = client.get("/workers/").get_data(as_text=True)
    assert "张伟" in page and "李娜" not in page


def test_a_coordinator_cannot_export_workers_of_another_district(client, world):
    login(client, world.coord_a.username)
    content = client.get("/workers/export.csv").get_data()
    text = content.decode("utf-8-sig")
    assert world.worker_a.id_number in text
    assert world.worker_b.id_number not in text
