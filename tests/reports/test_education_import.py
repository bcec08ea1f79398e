"""The education file: all or nothing, every bad row reported, a district user's rows only."""

import io
import re
from datetime import date

import pytest
from openpyxl import Workbook

from app.core.importing import ImportJob, JobState
from app.extensions import db
from app.workers.education import Education, EducationLevel
from app.workers.education_import import apply_education_import, plan_education_import
from tests import factories as f
from tests.factories import csrf_token, login

HEADER = "身份证号,学历,取得日期"


def _csv(*rows, header=HEADER) -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode("gb18030")


def _import(data, allowed=None, name="education.csv"):
    plan = plan_education_import(name, data, allowed)
    if plan.ok:
        apply_education_import(plan, name)
    return plan


def _levels(worker):
    return {(e.level, e.obtained_on) for e in db.session.query(Education).filter_by(worker_id=worker.id)}


def test_chinese_and_english_values_with_and_without_a_date(world):
    a = world.worker_a
    plan = _import(
        _csv(f"{a.id_number},大专,2010-07-01", f"{a.id_number.lower()},bachelor,", f"{a.id_number},高中·中专,")
    )
    assert plan.ok, plan.errors
    assert _levels(a) == {
        (EducationLevel.college, date(2010, 7, 1)),
        (EducationLevel.bachelor, None),
        (EducationLevel.senior_secondary, None),
    }
    again = plan_education_import("education.csv", _csv(f"{a.id_number},大专,2010-07-01"), None)
    assert again.ok and not again.has_changes  # re-importing the same file changes nothing


def test_a_new_date_for_a_level_updates_it(world):
    a = world.worker_a
    _import(_csv(f"{a.id_number},本科,2012-07-01"))
    plan = _import(_csv(f"{a.id_number},本科,2013-07-01"))
    assert len(plan.updates) == 1 and _levels(a) == {(EducationLevel.bachelor, date(2013, 7, 1))}


def test_xlsx_with_date_cells(world):
    wb = Workbook()
    wb.active.append(["id_number", "education", "obtained_on"])
    wb.active.append([world.worker_a.id_number, "研究生", date(2015, 6, 30)])
    buffer = io.BytesIO()
    wb.save(buffer)
    assert _import(buffer.getvalue(), name="education.xlsx").ok
    assert _levels(world.worker_a) == {(EducationLevel.postgraduate, date(2015, 6, 30))}


def test_every_bad_row_is_reported_and_nothing_is_written(world):
    a = world.worker_a
    plan = _import(
        _csv(
            f"{a.id_number},大专,2010-07-01",  # good, but the file has bad rows
            "110105194912310021,大专,",  # check character
            f"{a.id_number},博士后学位,",  # not a level
            f"{a.id_number},本科,2010-13-01",  # not a date
            f"{f.id_number()},本科,",  # nobody registered
            f"{a.id_number},大专,2011-07-01",  # the same key again
        )
    )
    assert [(e.row, e.column.split(" ")[0]) for e in plan.errors] == [
        (3, "身份证号"),
        (4, "学历"),
        (5, "取得日期"),
        (6, "身份证号"),
        (7, "学历"),
    ]
    assert db.session.query(Education).count() == 0


def test_a_district_coordinator_imports_only_their_districts_rows(world):
    a, b = world.worker_a, world.worker_b
    scope = {world.community_a.district_id}
    plan = _import(_csv(f"{a.id_number},大专,", f"{b.id_number},大专,", f"{f.id_number()},大专,"), allowed=scope)
    assert [e.row for e in plan.errors] == [3, 4]
    # a worker of another district and someone unregistered get the same answer
    assert plan.errors[0].message == plan.errors[1].message
    assert db.session.query(Education).count() == 0
    assert _import(_csv(f"{a.id_number},大专,"), allowed=scope).ok
    assert _levels(a) == {(EducationLevel.college, None)}


def _upload(client, content: bytes):
    token = csrf_token(client, "/workers/import/education")
    return client.post(
        "/workers/import/education",
        data={"csrf_token": token, "file": (io.BytesIO(content), "education.csv")},
        content_type="multipart/form-data",
    )


def test_the_import_page_previews_and_applies_for_a_district_coordinator(client, world):
    login(client, world.coord_a.username)
    html = _upload(client, _csv(f"{world.worker_a.id_number},大专,2010-07-01")).get_data(as_text=True)
    assert 'id="import-preview"' in html and db.session.query(Education).count() == 0
    token = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', html).group(1)
    action = re.search(r'<form method="post" action="([^"]*)">\s*<input id="csrf_token"', html).group(1)
    response = client.post(action, data={"csrf_token": csrf_token(client, "/workers/import/education"), "token": token})
    assert response.status_code == 302
    assert db.session.query(ImportJob).one().state == JobState.done
    assert _levels(world.worker_a) == {(EducationLevel.college, date(2010, 7, 1))}


def test_the_import_page_refuses_a_row_of_another_district(client, world):
    login(client, world.coord_a.username)
    html = _upload(client, _csv(f"{world.worker_b.id_number},大专,")).get_data(as_text=True)
    assert 'id="import-errors"' in html and 'id="confirm-import"' not in html


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_the_command_imports_or_exits_non_zero_with_every_bad_row(runner, world, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(_csv(f"{world.worker_a.id_number},本科,2012-07-01"))
    result = runner.invoke(args=["workers", "import-education", str(good)])
    assert result.exit_code == 0, result.output
    assert _levels(world.worker_a) == {(EducationLevel.bachelor, date(2012, 7, 1))}
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv(f"{world.worker_b.id_number},大专,", f"{world.worker_b.id_number},初一,"))
    result = runner.invoke(args=["workers", "import-education", str(bad)])
    assert result.exit_code == 1 and "1 bad rows; nothing was written" in result.output
    assert _levels(world.worker_b) == set()
    result = runner.invoke(args=["workers", "import-education", str(good), "--as", world.coord_a.username])
    assert result.exit_code == 0
    scoped = tmp_path / "scoped.csv"
    scoped.write_bytes(_csv(f"{world.worker_b.id_number},大专,"))
    result = runner.invoke(args=["workers", "import-education", str(scoped), "--as", world.coord_a.username])
    assert result.exit_code == 1 and _levels(world.worker_b) == set()
