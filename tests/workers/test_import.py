"""The posts file: every encoding people send, every bad row reported, all or nothing."""

import io
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from app.core.tabular import FileRejected
from app.extensions import db
from app.workers.importer import apply_posts_import, plan_posts_import
from app.workers.models import PostPeriod, PostType, Worker
from tests import factories as f

HEADER_ZH = "身份证号,姓名,手机号,社区代码,岗位,到岗日期,离岗日期"
HEADER_EN = "id_number,name,phone,community_code,post,start_date,end_date"


@pytest.fixture
def comms(app_ctx):
    return f.community("500103", name="和平社区"), f.community("500104", name="幸福社区")


def _csv(rows, header=HEADER_ZH, encoding="utf-8") -> bytes:
    return ("\r\n".join([header, *rows]) + "\r\n").encode(encoding)


def _rows(comms, n=3):
    a = comms[0]
    return [f"{f.id_number()},王{i}芳,1390000000{i},{a.code},专职工作人员,2024-0{i + 1}-01," for i in range(n)]


def _import(data, name="posts.csv", allowed=None):
    plan = plan_posts_import(name, data, allowed)
    if plan.ok:
        apply_posts_import(plan, name)
    return plan


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_in_every_encoding_excel_saves(comms, encoding):
    plan = _import(_csv(_rows(comms), encoding=encoding))
    assert plan.ok, plan.errors
    assert db.session.query(Worker).filter(Worker.name.like("王%芳")).count() == 3


def test_english_headers_and_english_post_keys(comms):
    row = f"{f.id_number()},李强,,{comms[0].code},head,2023-01-01,2024-01-01"
    plan = _import(_csv([row], header=HEADER_EN))
    assert plan.ok, plan.errors
    w = db.session.query(Worker).filter_by(name="李强").one()
    assert w.periods[0].post_type == PostType.head and w.periods[0].end_date == date(2024, 1, 1)


def test_xlsx_with_real_date_cells_and_an_id_stored_as_text(comms):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADER_ZH.split(","))
    number = f.id_number()
    ws.append([number, "陈静", 13912345678, comms[0].code, "两委委员", datetime(2022, 3, 4), None])
    ws.append([f.id_number(), "周杰", None, int(comms[0].code), "书记/主任", date(2021, 5, 6), date(2022, 1, 1)])
    buffer = io.BytesIO()
    wb.save(buffer)
    plan = _import(buffer.getvalue(), "posts.xlsx")
    assert plan.ok, plan.errors
    w = db.session.query(Worker).filter_by(id_number=number).one()
    assert w.phone == "13912345678" and w.periods[0].start_date == date(2022, 3, 4)


def test_every_bad_row_is_reported_with_its_column_and_nothing_is_written(comms):
    good = _rows(comms, 1)[0]
    rows = [
        good,
        f"110105194912310021,甲,,{comms[0].code},专职工作人员,2024-01-01,",  # check character
        f"{f.id_number()},乙,12345,{comms[0].code},专职工作人员,2024-01-01,",  # mobile
        f"{f.id_number()},丙,,999999999999,专职工作人员,2024-01-01,",  # unknown community
        f"{f.id_number()},丁,,{comms[0].code},队长,2024-01-01,",  # post
        f"{f.id_number()},戊,,{comms[0].code},专职工作人员,2024-02-30,",  # impossible date
        f"{f.id_number()},己,,{comms[0].code},专职工作人员,2024-03-01,2024-02-01",  # end before start
        f"{f.id_number()},,,{comms[0].code},专职工作人员,2024-03-01,",  # no name
    ]
    plan = _import(_csv(rows))
    assert not plan.ok
    found = {(e.row, e.column.split(" (")[1].rstrip(")")) for e in plan.errors}
    assert found == {
        (3, "id_number"),
        (4, "phone"),
        (5, "community_code"),
        (6, "post"),
        (7, "start_date"),
        (8, "end_date"),
        (9, "name"),
    }
    assert db.session.query(Worker).count() == 0


def test_reimporting_the_same_file_changes_nothing(comms):
    data = _csv(_rows(comms))
    first = _import(data)
    assert len(first.new_workers) == 3
    again = plan_posts_import("posts.csv", data, None)
    assert again.ok and not again.has_changes and again.unchanged_rows == 3


def test_a_changed_end_date_updates_the_period_and_the_current_post(comms):
    number = f.id_number()
    _import(_csv([f"{number},王芳,,{comms[0].code},专职工作人员,2020-01-01,"]))
    plan = _import(_csv([f"{number},王芳,,{comms[0].code},专职工作人员,2020-01-01,2025-12-31"]))
    assert len(plan.changed_periods) == 1
    w = db.session.query(Worker).filter_by(id_number=number).one()
    db.session.refresh(w)
    assert w.post_end == date(2025, 12, 31)


def test_a_transfer_in_the_file(comms):
    number = f.id_number()
    plan = _import(
        _csv(
            [
                f"{number},王芳,,{comms[0].code},专职工作人员,2020-01-01,2026-05-19",
                f"{number},王芳,,{comms[1].code},副书记/副主任,2026-05-20,",
            ]
        )
    )
    assert plan.ok, plan.errors
    w = db.session.query(Worker).filter_by(id_number=number).one()
    db.session.refresh(w)
    assert w.district_id == comms[1].district_id and len(w.periods) == 2


def test_a_duplicate_key_inside_one_file_names_the_first_row(comms):
    number = f.id_number()
    row = f"{number},王芳,,{comms[0].code},专职工作人员,2020-01-01,"
    plan = _import(_csv([row, row]))
    assert [(e.row, "2" in e.message) for e in plan.errors] == [(3, True)]


def test_overlapping_periods_in_the_file_or_with_the_registry_are_refused(comms):
    number = f.id_number()
    plan = _import(
        _csv(
            [
                f"{number},王芳,,{comms[0].code},专职工作人员,2020-01-01,2021-12-31",
                f"{number},王芳,,{comms[0].code},专职工作人员,2021-06-01,",
            ]
        )
    )
    assert [e.row for e in plan.errors] == [3]
    existing = f.worker(comms[0], start=date(2020, 1, 1))
    plan = _import(_csv([f"{existing.id_number},张伟,,{comms[0].code},书记/主任,2022-01-01,"]))
    assert [e.row for e in plan.errors] == [2]
    assert db.session.query(PostPeriod).filter_by(worker_id=existing.id).count() == 1


def test_a_coordinator_imports_only_into_their_districts(comms):
    plan = _import(
        _csv([f"{f.id_number()},王芳,,{comms[1].code},专职工作人员,2020-01-01,"]), allowed={comms[0].district_id}
    )
    assert [e.row for e in plan.errors] == [2] and "community_code" in plan.errors[0].column


@pytest.mark.parametrize(
    "data,name",
    [
        (b"", "posts.csv"),
        (b"   \r\n", "posts.csv"),
        ((HEADER_ZH + "\r\n").encode(), "posts.csv"),
        (b"id,foo\r\n1,2\r\n", "posts.csv"),
        (b"PK\x03\x04garbage", "posts.xlsx"),
        (b"\xff\xfe\x00\x01", "posts.csv"),
        (b"hello", "posts.pdf"),
    ],
)
def test_unreadable_files_are_rejected_with_a_message(comms, data, name):
    with pytest.raises(FileRejected) as info:
        plan_posts_import(name, data, None)
    assert info.value.message


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000), st.sampled_from(["a.csv", "a.xlsx", "a.txt", ""]))
def test_random_bytes_never_crash_the_reader_and_write_nothing(comms, data, name):
    try:
        plan = plan_posts_import(name, data, None)
    except FileRejected as exc:
        assert exc.message
    else:
        assert plan.errors or not plan.has_changes or plan.total_rows > 0
    assert db.session.query(Worker).count() == 0


_cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=',\r\n"\x00'), max_size=20)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_cell, _cell, _cell, _cell, _cell, _cell, _cell), min_size=1, max_size=8))
def test_random_rows_either_import_cleanly_or_report_each_bad_row(comms, rows):
    data = _csv([",".join(r) for r in rows])
    try:
        plan = plan_posts_import("posts.csv", data, None)
    except FileRejected as exc:
        assert exc.message  # e.g. every row blank
        return
    for error in plan.errors:
        assert 2 <= error.row <= len(rows) + 1 and error.message
    assert db.session.query(Worker).count() == 0
