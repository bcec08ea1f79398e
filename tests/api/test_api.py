"""The finance API on the real database: tokens, scopes, districts, masking, pages, the audit of
calls, and the OpenAPI document checked against real answers."""

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate as validate_spec

from app.api import services
from app.api.models import ApiCall, ApiScope
from app.core.audit import AuditLog
from app.core.timeutil import local_today, utcnow
from app.payments.models import PaymentLine, PaymentResult
from tests.api.helpers import bearer, client_token, paid_month
from tests.factories import login

GETS = ("/api/runs", "/api/runs/2025-01/lines", "/api/batches", "/api/batches/2025-01/payments")


@pytest.fixture
def month(world, today):
    return paid_month(world, today)


def test_no_token_an_unknown_one_a_revoked_one_and_an_expired_one_all_get_401(client, db, world, month, clock):
    assert client.get("/api/runs").status_code == 401
    assert client.get("/api/runs", headers=bearer("swapi_not-a-token")).status_code == 401

    revoked, revoked_token = client_token("revoked")
    assert client.get("/api/runs", headers=bearer(revoked_token)).status_code == 200
    services.revoke_client(revoked, None)
    db.session.commit()
    answer = client.get("/api/runs", headers=bearer(revoked_token))
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert answer.get_json()["code"] == 401

    expiring, token = client_token("expiring", expires_on=local_today())
    assert client.get("/api/runs", headers=bearer(token)).status_code == 200  # the last day still works
    clock.move_to(utcnow() + timedelta(days=1))
    assert client.get("/api/runs", headers=bearer(token)).status_code == 401


def test_a_read_token_cannot_upload_a_return_file_and_a_returns_token_marks_the_payments(client, db, world, month):
    _run, batch = month
    paid = db.session.scalar(sa.select(PaymentLine).where(PaymentLine.batch_id == batch.id, PaymentLine.paid > 0))
    returned = f"{paid.account_no},{paid.paid},失败,账户已销户"
    _reader, read_token = client_token("reader")
    refused = client.post("/api/batches/2025-01/returns", headers=bearer(read_token), data=_file(returned))
    assert refused.status_code == 403 and refused.get_json()["code"] == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentResult)) == 0

    uploader, token = client_token("uploader", scope=ApiScope.read_returns)
    wrong = client.post(
        "/api/batches/2025-01/returns", headers=bearer(token), data=_file(f"{paid.account_no},1.00,成功,")
    )
    assert wrong.status_code == 422 and wrong.get_json()["errors"]["rows"][0]["row"] == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PaymentResult)) == 0

    answer = client.post("/api/batches/2025-01/returns", headers=bearer(token), data=_file(returned))
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == {
        "month": "2025-01",
        "rows": 1,
        "paid": 0,
        "returned": 1,
        "unchanged": 0,
        "returned_amount": "120.00",
    }
    payment = _payment_of(client, token, world.worker_a)
    assert (payment["bank_result"], payment["bank_reason"]) == ("returned", "账户已销户")
    imports = sa.select(AuditLog).where(AuditLog.action == "import", AuditLog.entity_type == "api_client")
    assert db.session.scalar(imports).entity_id == uploader.id
    assert client.post("/api/batches/2031-01/returns", headers=bearer(token), data=_file(returned)).status_code == 404


def _file(*rows):
    # A fresh stream per request: the test client closes the one it sends.
    text = "\r\n".join(["账号,金额,状态,原因", *rows]) + "\r\n"
    return {"file": (io.BytesIO(text.encode("gb18030")), "回盘.csv")}


def test_a_district_client_sees_only_its_districts(client, world, month):
    _c, token = client_token("district A", districts=[world.community_a.street.district])
    lines = client.get("/api/runs/2025-01/lines", headers=bearer(token)).get_json()
    assert {row["worker_id"] for row in lines["items"]} == {world.worker_a.id}
    payments = client.get("/api/batches/2025-01/payments", headers=bearer(token)).get_json()
    assert {row["worker_id"] for row in payments["items"]} == {world.worker_a.id}
    batches = client.get("/api/batches", headers=bearer(token)).get_json()
    assert batches["items"][0]["totals"]["lines"] == "120.00"
    other = client.get("/api/runs/2025-01/lines?district=500104", headers=bearer(token)).get_json()
    assert other["items"] == [] and other["total"] == 0

    _city, city_token = client_token("city")
    everyone = client.get("/api/runs/2025-01/lines", headers=bearer(city_token)).get_json()
    assert {row["worker_id"] for row in everyone["items"]} == {world.worker_a.id, world.worker_b.id}
    narrowed = client.get("/api/runs/2025-01/lines?district=500104", headers=bearer(city_token)).get_json()
    assert {row["worker_id"] for row in narrowed["items"]} == {world.worker_b.id}


def test_id_and_account_numbers_are_masked_unless_the_client_has_full_ids(client, db, world, month):
    _masked, token = client_token("masked")
    line = _line_of(client, token, world.worker_a)
    assert line["id_number"] == world.worker_a.id_number[:6] + "********" + world.worker_a.id_number[-4:]
    payment = _payment_of(client, token, world.worker_a)
    assert "****" in payment["account_no"] and payment["id_number"] != world.worker_a.id_number

    full, full_token = client_token("full", full_ids=True)
    assert _line_of(client, full_token, world.worker_a)["id_number"] == world.worker_a.id_number
    payment = _payment_of(client, full_token, world.worker_a)
    assert payment["id_number"] == world.worker_a.id_number and "*" not in payment["account_no"]
    exports = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "export", AuditLog.entity_type == "api_client")
    ).all()
    assert {e.entity_id for e in exports} == {full.id} and len(exports) == 2


def _line_of(client, token, worker):
    items = client.get("/api/runs/2025-01/lines", headers=bearer(token)).get_json()["items"]
    return next(row for row in items if row["worker_id"] == worker.id)


def _payment_of(client, token, worker):
    items = client.get("/api/batches/2025-01/payments", headers=bearer(token)).get_json()["items"]
    return next(row for row in items if row["worker_id"] == worker.id)


def test_a_page_of_lines_links_to_the_next_one(client, world, month):
    _c, token = client_token()
    first = client.get("/api/runs/2025-01/lines?per_page=2", headers=bearer(token))
    body = first.get_json()
    assert (body["total"], body["pages"], len(body["items"]), body["prev"]) == (3, 2, 2, None)
    assert 'rel="next"' in first.headers["Link"] and "page=2" in body["next"]
    second = client.get(body["next"], headers=bearer(token)).get_json()
    assert len(second["items"]) == 1 and second["next"] is None and second["prev"]
    seen = [row["id"] for row in body["items"] + second["items"]]
    assert len(set(seen)) == 3
    names = {row["worker_id"]: row["name"] for row in body["items"] + second["items"]}
    assert names == {world.worker_a.id: world.worker_a.name, world.worker_b.id: world.worker_b.name}
    one = client.get("/api/runs/2025-01/lines?district=500104&per_page=1", headers=bearer(token)).get_json()
    two = client.get(one["next"], headers=bearer(token)).get_json()
    assert (one["total"], one["pages"], two["next"]) == (2, 2, None)
    b_lines = one["items"] + two["items"]
    assert {r["worker_id"] for r in b_lines} == {world.worker_b.id} and len({r["id"] for r in b_lines}) == 2
    assert {r["amount"] for r in b_lines} == {"80.00", "-10.00"}
    assert client.get("/api/runs/2025-01/lines?per_page=1001", headers=bearer(token)).status_code == 422
    assert client.get("/api/runs?month=2025-13", headers=bearer(token)).status_code == 422
    assert client.get("/api/runs/2024-12/lines", headers=bearer(token)).status_code == 404


def test_every_call_is_recorded_with_its_client_route_and_status(client, db, world, month):
    c, token = client_token()
    client.get("/api/runs?month=2025-01", headers=bearer(token))
    client.get("/api/runs/2031-01/lines", headers=bearer(token))
    client.get("/api/batches", headers=bearer("swapi_wrong"))
    calls = db.session.scalars(sa.select(ApiCall).order_by(ApiCall.id)).all()
    assert [(x.client_id, x.route, x.status) for x in calls] == [
        (c.id, "/api/runs", 200),
        (c.id, "/api/runs/<month>/lines", 404),
        (None, "/api/batches", 401),
    ]
    assert calls[0].path == "/api/runs?month=2025-01"
    db.session.refresh(c)
    assert c.last_used_at is not None


def test_calls_are_rate_limited_per_client(app, client, world):
    _one, token = client_token("one")
    _two, other = client_token("two")
    app.config["API_RATE_LIMIT"] = "2 per minute"
    try:
        assert [client.get("/api/runs", headers=bearer(token)).status_code for _ in range(3)] == [200, 200, 429]
        assert client.get("/api/runs", headers=bearer(other)).status_code == 200
    finally:
        del app.config["API_RATE_LIMIT"]


def _inline(node, components):
    """The schema with every $ref replaced by what it points to."""
    if isinstance(node, dict):
        if "$ref" in node:
            kind, name = node["$ref"].split("/")[-2:]
            return _inline(components[kind][name], components)
        return {key: _inline(value, components) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, components) for value in node]
    return node


def test_the_openapi_document_is_valid_and_every_get_answers_as_it_says(client, world, month):
    document = client.get("/api/openapi.json").get_json()
    validate_spec(document)
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    _c, token = client_token(full_ids=True)
    components = document["components"]
    paths = {
        "/api/runs": "/api/runs",
        "/api/runs/2025-01/lines": "/api/runs/{month}/lines",
        "/api/batches": "/api/batches",
        "/api/batches/2025-01/payments": "/api/batches/{month}/payments",
    }
    for url in GETS:
        answer = client.get(url, headers=bearer(token))
        assert answer.status_code == 200, url
        schema = document["paths"][paths[url]]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        OAS30Validator(_inline(schema, components)).validate(answer.get_json())
        assert answer.get_json()["items"], url
        refused = client.get(url)
        error_schema = _inline(document["paths"][paths[url]]["get"]["responses"]["401"], components)
        OAS30Validator(error_schema["content"]["application/json"]["schema"]).validate(refused.get_json())
    upload = document["paths"]["/api/batches/{month}/returns"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"] and "422" in upload["responses"]


def test_the_docs_page_lists_each_operation_and_the_api_needs_no_csrf_but_the_admin_pages_do(client, world):
    page = client.get("/api/docs").get_data(as_text=True)
    assert 'id="op-get-api-runs-month-lines"' in page and 'id="op-post-api-batches-month-returns"' in page
    _c, token = client_token("uploader", scope=ApiScope.read_returns)
    assert (
        client.post("/api/batches/2031-01/returns", headers=bearer(token), data=_file("x,1,成功,")).status_code == 404
    )
    login(client, world.admin.username)
    no_token = client.post("/api-clients/new", data={"name": "x", "scope": "read", "expires_on": "2031-01-01"})
    assert no_token.status_code == 400


def test_a_path_with_a_control_character_is_refused_and_still_recorded(client, db, world):
    _c, token = client_token()
    assert client.get("/api/runs/a%00b/lines", headers=bearer(token)).status_code == 400
    call = db.session.scalar(sa.select(ApiCall).order_by(ApiCall.id.desc()).limit(1))
    assert (call.status, call.path) == (400, "/api/runs/a\ufffdb/lines")
