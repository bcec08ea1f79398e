"""Every route, every role and anonymous: the designed answer, checked on the server."""

import pytest

from tests.factories import csrf_token, id_number, login, post

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
    "health.healthz": PUBLIC,  # probes for the load balancer: no personal data, no login
    "health.readyz": PUBLIC,
    "metrics.metrics": PUBLIC,  # no login: a Bearer token or an allowed address (tests/core/test_metrics.py)
    "accounts.forgot_password": PUBLIC,
    "accounts.set_locale": PUBLIC,
    "accounts.logout": ANYONE_LOGGED_IN,
    "accounts.change_password": ANYONE_LOGGED_IN,
    "accounts.reset_calendar_link": {"worker_user"},
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
    "workers.education_import": EDITORS,
    "workers.education_import_confirm": EDITORS,
    "workers.education_create": EDITORS,
    "workers.education_edit": EDITORS,
    "workers.education_delete": EDITORS,
    "reports.index": STAFF,
    "reports.term_export": STAFF,
    "reports.term_list": ADMIN,
    "reports.pay_floor": STAFF,  # the director pay floor: each within their districts
    "reports.pay_floor_export": STAFF,
    "reports.income_list": STAFF,
    "reports.income_import": STAFF,
    "reports.income_import_confirm": STAFF,
    "reports.director_pay_import": STAFF,
    "reports.director_pay_import_confirm": STAFF,
    "reports.progress": STAFF,  # talent-plan progress: each within their districts
    "reports.progress_export": STAFF,
    "reports.progress_target": ADMIN,
    "payments.batch_list": {"admin", "payroll_a", "payroll_city"},
    "payments.make_batch": {"payroll_city"},
    "payments.batch_detail": {"admin", "payroll_a", "payroll_city"},
    "payments.batch_export": {"payroll_city"},
    "payments.return_import": {"payroll_city"},  # the bank's return file of a batch (city-wide, like the bank file)
    "payments.return_import_confirm": {"payroll_city"},
    "payments.accounts": STAFF,
    "payments.account_import": STAFF,
    "payments.account_create": STAFF,
    "payments.mine": {"worker_user"},
    "payments.account_import_confirm": STAFF,
    "payments.my_statement": {"worker_user"},  # statements (工资条): a worker their own, staff in scope
    "payments.my_statement_pdf": {"worker_user"},
    "payments.worker_statement": STAFF,
    "payments.worker_statement_pdf": STAFF,
    "payments.statement_index": {"admin", "payroll_a", "payroll_city"},
    "payments.district_statements_pdf": {"admin", "payroll_a", "payroll_city"},
    "payments.bank_template_list": {"admin", "payroll_city"},  # bank file templates: admins and city-wide payroll
    "payments.bank_template_create": {"admin", "payroll_city"},
    "payments.bank_template_edit": {"admin", "payroll_city"},
    "audit.audit_list": ADMIN,
    # The finance API: a client's bearer token, not a session (tests/api); its document and docs are public.
    "api.runs": PUBLIC,
    "api.run_lines": PUBLIC,
    "api.batches": PUBLIC,
    "api.batch_payments": PUBLIC,
    "api.upload_returns": PUBLIC,
    "api_pages.openapi_json": PUBLIC,
    "api_pages.api_docs": PUBLIC,
    "api_pages.client_list": ADMIN,
    "api_pages.client_create": ADMIN,
    "api_pages.client_detail": ADMIN,
    "api_pages.client_revoke": ADMIN,
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
    "allowance.run_discard": {"payroll_city"},
    "allowance.run_export": {"admin", "payroll_a", "payroll_city"},
    "allowance.rates": {"admin", "payroll_a", "payroll_city"},
    "allowance.rate_edit": ADMIN,
    "allowance.holds": {"payroll_a", "payroll_city"},
    "allowance.hold_delete": {"payroll_a", "payroll_city"},
    "allowance.my_statements": {"worker_user"},
    "training.session_list": EDITORS,
    "training.course_new": EDITORS,
    "training.course_detail": EDITORS,
    "training.session_create": EDITORS,
    "training.session_edit": EDITORS,
    "training.session_detail": EDITORS,
    "training.session_status": EDITORS,
    "training.session_complete": EDITORS,
    "training.session_reopen": EDITORS,
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
    "main.system": ADMIN,  # the system page: workers, queues, tasks' last runs, failures (issue #13)
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
        "template_id": 1,  # the default bank file template (seeded by its migration)
        "client_id": 1,
        "hold_id": world.hold.id,
        "rate_id": 1,
        "course_id": world.course.id,
        "session_id": world.session.id,
        "meeting_id": world.session.meetings[0].id,
        "enrolment_id": world.enrolment.id,
        "status": "open",
        "token": "not-a-token",
        "notice_id": 1,
        "term_id": 1,
        "education_id": 1,
        "table": "directors",
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
        problem = _unexpected(who, rule, response, ACCESS[rule.endpoint])
        if problem:
            wrong.append(f"{method} {url}: {problem}")
    assert not wrong, "\n".join(wrong)


def _unexpected(who, rule, response, allowed) -> str | None:
    """What is wrong with this answer for this role, or None."""
    code = response.status_code
    if code >= 500:
        return str(code)
    if allowed == PUBLIC:
        return None
    signing_in = code == 302 and "/login" in response.headers["Location"]
    if who == "anonymous":
        return None if signing_in else f"anonymous got {code}, expected a redirect to sign in"
    if who in allowed:
        if rule.endpoint == "accounts.logout":
            return None  # signing out ends at the sign-in page by design
        return f"{who} refused ({code}) but is allowed" if code in (401, 403) or signing_in else None
    return None if code == 403 else f"{who} got {code}, expected 403"


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


# ---- the data dimension (issue #10): on data spanning two districts, a district user sees and
# changes exactly their districts' workers, in every list, detail, export, queue and import ----

EXAM_FILES = {
    "results": ("身份证号,姓名,考试年度,科目,成绩", "{id},{name},2024,I1,61"),
    "reviews": ("身份证号,评审日期,评审结果", "{id},2025-03-01,通过"),
    "qualifications": ("身份证号,等级,证书编号,取得日期", "{id},intermediate,C-{n},2020-01-01"),
    "registrations": ("身份证号,等级,登记日期", "{id},assistant,2025-01-10"),
    "ce": ("身份证号,日期,学时,内容", "{id},2024-05-01,8,外部培训"),
}


@pytest.fixture
def spanning(world, today):
    """Both workers hold results, a qualification and a registration expiring within 90 days."""
    from datetime import date, timedelta
    from decimal import Decimal

    from app.exams import services as exams
    from app.exams.levels import Level
    from app.exams.models import Qualification
    from app.extensions import db

    exams.enter_result(world.worker_b.id, world.exam_year, "A1", Decimal("71"))
    world.result_b = exams.enter_result(world.worker_b.id, world.exam_year, "A2", Decimal("71"))
    world.qualification_b = db.session.query(Qualification).filter_by(worker_id=world.worker_b.id).one()
    for w in (world.worker_a, world.worker_b):
        exams.add_registration(w.id, Level.assistant, date(2024, 12, 20), today + timedelta(days=30))
    db.session.commit()
    return world


def _record(worker):
    """Everything a write could change about a worker, to compare before and after."""
    from app.exams.models import CERecord, ExamResult, Qualification, Registration, SeniorReview
    from app.extensions import db
    from app.workers.models import PostPeriod, Worker

    db.session.expire_all()
    w = db.session.get(Worker, worker.id)
    periods = db.session.query(PostPeriod).filter_by(worker_id=w.id).order_by(PostPeriod.start_date)
    counts = [db.session.query(m).filter_by(worker_id=w.id).count() for m in (ExamResult, SeniorReview, CERecord)]
    quals = sorted(
        (q.level.value, q.certificate_no, q.obtained_on)
        for q in db.session.query(Qualification).filter_by(worker_id=w.id)
    )
    regs = sorted(
        (r.level.value, r.registered_on, r.expires_on) for r in db.session.query(Registration).filter_by(worker_id=w.id)
    )
    return (
        w.id_number,
        w.name,
        w.phone,
        w.district_id,
        [(p.community_id, p.post_type, p.start_date, p.end_date) for p in periods],
        counts,
        quals,
        regs,
    )


@pytest.mark.parametrize("who", ("coord_a", "payroll_a"))
def test_a_district_user_reads_exactly_their_districts_workers(who, client, spanning):
    w = spanning
    login(client, getattr(w, who).username)
    pages = {
        "list": client.get("/workers/"),
        "list searched by the other's ID number": client.get(f"/workers/?q={w.worker_b.id_number}"),
        "list filtered by the other district": client.get(f"/workers/?district={w.community_b.district_id}"),
        "export": client.get("/workers/export.csv"),
        "export filtered by the other district": client.get(
            f"/workers/export.csv?district={w.community_b.district_id}"
        ),
        "exam overview": client.get("/exams/"),
        "home": client.get("/"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
        text = response.get_data().decode("utf-8-sig", errors="replace")
        for trace in ("李娜", w.worker_b.masked_id, "13800000002"):
            assert trace not in text, f"{name} shows {trace}"
        if "ID number" not in name:  # a search echoes what the user typed
            assert w.worker_b.id_number not in text, name
    for name in ("list", "export", "exam overview"):
        assert "张伟" in pages[name].get_data().decode("utf-8-sig"), name
    assert client.get(f"/workers/{w.worker_a.id}").status_code == 200
    assert client.get(f"/workers/{w.worker_b.id}").status_code == 404


def _worker_write_urls(w, worker, period, result, qualification):
    """(method, url, data) of every write on one worker's record, with data that would succeed."""
    post_data = {"community_id": str(w.community_a.id), "post_type": "head", "start_date": "2026-06-01", "end_date": ""}
    return [
        ("POST", f"/workers/{worker.id}/edit", {"id_number": worker.id_number, "name": "改名", "phone": "13912345678"}),
        (
            "POST",
            f"/workers/{worker.id}/periods/{period.id}",
            {**post_data, "start_date": "2020-01-01", "end_date": "2026-05-31"},
        ),
        (
            "POST",
            f"/workers/{worker.id}/periods/new",
            {**post_data, "start_date": "2010-01-01", "end_date": "2010-12-31"},
        ),
        ("POST", f"/workers/{worker.id}/periods/{period.id}/delete", {}),
        (
            "POST",
            f"/exams/workers/{worker.id}/results/new",
            {"exam_year": str(w.exam_year.id), "subject": "I1", "score": "61"},
        ),
        ("POST", f"/exams/workers/{worker.id}/reviews/new", {"review_date": "2025-03-01", "result": "pass"}),
        ("POST", f"/exams/qualifications/{qualification.id}", {"certificate_no": "X-1"}),
        (
            "POST",
            f"/exams/workers/{worker.id}/registrations/new",
            {"level": "assistant", "registered_on": "2025-02-01", "expires_on": ""},
        ),
        (
            "POST",
            f"/exams/workers/{worker.id}/ce/new",
            {"date": "2024-05-01", "hours": "8", "description": "外部培训", "proof": "Z-1"},
        ),
        ("POST", f"/exams/results/{result.id}/delete", {}),  # last: it takes the qualification away
    ]


def test_a_district_coordinator_changes_exactly_their_districts_workers(client, spanning):
    from app.exams.models import ExamResult
    from app.extensions import db

    w = spanning
    login(client, w.coord_a.username)
    before_b, before_a = _record(w.worker_b), _record(w.worker_a)
    for _method, url, data in _worker_write_urls(w, w.worker_b, w.worker_b.periods[0], w.result_b, w.qualification_b):
        assert post(client, url, data).status_code == 404, url
        assert client.get(url).status_code in (404, 405), url
    assert _record(w.worker_b) == before_b
    result_a = db.session.query(ExamResult).filter_by(worker_id=w.worker_a.id, subject="A2").one()
    for _method, url, data in _worker_write_urls(w, w.worker_a, w.worker_a.periods[0], result_a, w.qualification):
        if url.endswith("/delete") and "/periods/" in url:
            continue  # the last period of a worker is kept; deleting is checked elsewhere
        assert post(client, url, data).status_code == 302, url
    assert _record(w.worker_a) != before_a


def _upload(client, url: str, content: bytes):
    import io
    import re

    page = client.post(
        url,
        data={"csrf_token": csrf_token(client, url), "file": (io.BytesIO(content), "f.csv")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', page)
    if token:
        assert (
            client.post(
                url + "/confirm", data={"csrf_token": csrf_token(client, url), "token": token.group(1)}
            ).status_code
            == 302
        )
    return page


def test_a_district_coordinators_imports_change_exactly_their_districts_workers(client, spanning):
    from app.exams.models import ReviewItem
    from app.extensions import db

    w = spanning
    login(client, w.coord_a.username)
    before_b, before_a = _record(w.worker_b), _record(w.worker_a)
    header = "身份证号,姓名,手机号,社区代码,岗位,到岗日期,离岗日期"
    row = "{id},{name},{phone},{code},专职工作人员,2020-01-01,"
    both = [
        row.format(id=x.id_number, name=x.name, phone="13977776666", code=w.community_a.code)
        for x in (w.worker_a, w.worker_b)
    ]
    page = _upload(client, "/workers/import", "\n".join([header, *both]).encode())
    assert 'id="import-errors"' in page and "2020-01-01" not in page
    assert _record(w.worker_b) == before_b and _record(w.worker_a) == before_a  # all or nothing
    _upload(client, "/workers/import", "\n".join([header, both[0]]).encode())
    assert _record(w.worker_a)[2] == "13977776666"

    for n, (kind, (head, line)) in enumerate(EXAM_FILES.items()):
        rows = [line.format(id=x.id_number, name=x.name, n=n) for x in (w.worker_a, w.worker_b)]
        page = _upload(client, f"/exams/import/{kind}", "\n".join([head, *rows]).encode())
        assert 'id="import-errors"' not in page, kind
        assert db.session.query(ReviewItem).filter_by(kind=kind, id_number=w.worker_b.id_number).count() == 1, kind
    assert _record(w.worker_b) == before_b
    after_a = _record(w.worker_a)
    assert after_a[5] != before_a[5] and after_a[6] != before_a[6] and after_a[7] != before_a[7]


def test_a_district_coordinator_sees_and_resolves_exactly_their_queue(app, client, spanning):
    from app.exams.models import ReviewItem
    from app.extensions import db

    w = spanning
    head, line = EXAM_FILES["results"]
    city = app.test_client()
    login(city, w.coord_city.username)
    _upload(city, "/exams/import/results", f"{head}\n{line.format(id='11010519491231002X', name='全市行')}".encode())
    login(client, w.coord_a.username)
    _upload(client, "/exams/import/results", f"{head}\n{line.format(id=id_number('500104'), name='本区行')}".encode())
    theirs = db.session.query(ReviewItem).filter_by(name="全市行").one()
    mine = db.session.query(ReviewItem).filter_by(name="本区行").one()
    page = client.get("/exams/queue").get_data(as_text=True)
    assert "本区行" in page and "全市行" not in page
    assert post(client, f"/exams/queue/{theirs.id}/discard").status_code == 404
    assert post(client, f"/exams/queue/{theirs.id}/match", {"id_number": w.worker_a.id_number}).status_code == 404
    assert post(client, f"/exams/queue/{mine.id}/match", {"id_number": w.worker_b.id_number}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ReviewItem, mine.id).worker_id is None  # the other district's worker is out of reach
    assert post(client, f"/exams/queue/{mine.id}/match", {"id_number": w.worker_a.id_number}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ReviewItem, mine.id).worker_id == w.worker_a.id
    assert db.session.get(ReviewItem, theirs.id).state.value == "pending"


def test_a_district_coordinator_reads_exactly_their_districts_participants_on_a_training_session(client, world):
    """Training joined the data dimension once its scope fix landed (b795480): a city-wide
    session with a participant from each district."""
    from app.extensions import db
    from app.training import services as training
    from tests.training.helpers import session

    city_session = session(world.course)
    for w in (world.worker_a, world.worker_b):
        training.enrol(city_session, w.id)
    db.session.commit()
    login(client, world.coord_a.username)
    for url in (  # attendance on a city-wide session is managed city-wide (403), tested with training
        f"/training/sessions/{city_session.id}",
        f"/training/sessions/{city_session.id}/sign-in-sheet",
        f"/training/sessions/{city_session.id}/roster.xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        if url.endswith(".xlsx"):
            import io

            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(response.data))
            text = " ".join(str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None)
        else:
            text = response.get_data(as_text=True)
        assert "李娜" not in text and world.worker_b.masked_id not in text and "13800000002" not in text, url
        assert "张伟" in text, url
