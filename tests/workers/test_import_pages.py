import io
import re

import pytest

from app.core.importing import ImportJob, JobState
from app.extensions import db
from app.workers.models import Worker
from tests import factories as f
from tests.factories import csrf_token, login

HEADER = "身份证号,姓名,手机号,社区代码,岗位,到岗日期,离岗日期"


@pytest.fixture
def coord(client, world):
    login(client, "t_coord_a")
    return client


def _upload(client, content: bytes, name="posts.csv"):
    token = csrf_token(client, "/workers/import")
    return client.post(
        "/workers/import",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_upload_preview_confirm_and_see_the_job_done(coord, world):
    number = f.id_number()
    content = f"{HEADER}\r\n{number},孙丽,,{world.community_a.code},专职工作人员,2024-05-01,\r\n".encode("gb18030")
    preview = _upload(coord, content)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and 'id="import-preview"' in html
    assert db.session.query(Worker).filter_by(id_number=number).count() == 0  # the preview writes nothing

    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    # the confirm button posts where the page says, and that is the confirm URL (not the upload page)
    action = re.search(r'<form method="post" action="([^"]*)">\s*<input id="csrf_token"', html).group(1)
    assert action == "/workers/import/confirm"
    confirm = coord.post(action, data={"csrf_token": csrf_token(coord, "/workers/import"), "token": token})
    assert confirm.status_code == 302
    job = db.session.query(ImportJob).one()
    assert job.state == JobState.done and job.counts["new_workers"] == 1
    assert db.session.query(Worker).filter_by(id_number=number).count() == 1
    assert coord.get(confirm.headers["Location"]).status_code == 200


def test_a_file_with_bad_rows_shows_every_problem_and_offers_no_confirm(coord, world):
    content = (
        f"{HEADER}\r\n110105194912310021,甲,,{world.community_a.code},专职工作人员,2024-01-01,\r\n"
        f"{f.id_number()},乙,,{world.community_a.code},专职工作人员,2024-13-01,\r\n"
    ).encode()
    html = _upload(coord, content).get_data(as_text=True)
    assert 'id="import-errors"' in html and 'id="confirm-import"' not in html
    assert html.count("<tr><td>2</td>") == 1 and html.count("<tr><td>3</td>") == 1


def test_an_unreadable_file_re_renders_the_form_with_the_reason(coord, world):
    response = _upload(coord, b"\x00\x01\x02garbage", "posts.xlsx")
    assert response.status_code == 200 and "is-invalid" in response.get_data(as_text=True)


def test_an_oversized_upload_gets_a_clear_413_page(coord, world, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = 1000
    try:
        response = _upload(coord, b"x" * 5000)
    finally:
        app.config["MAX_CONTENT_LENGTH"] = limit
    assert response.status_code == 413
    assert 'id="error-message"' in response.get_data(as_text=True)


def test_another_user_cannot_confirm_someone_elses_upload(coord, world, client, app):
    content = f"{HEADER}\r\n{f.id_number()},孙丽,,{world.community_a.code},专职工作人员,2024-05-01,\r\n".encode()
    html = _upload(coord, content).get_data(as_text=True)
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    other = app.test_client()
    login(other, "t_admin")
    response = other.post(
        "/workers/import/confirm", data={"csrf_token": csrf_token(other, "/workers/import"), "token": token}
    )
    assert response.status_code == 302 and "/imports/" not in response.headers["Location"]
    assert db.session.query(ImportJob).count() == 0
