"""Input checked at the edge: digits of other scripts, control characters, numbers out of range,
over-long cells and files that unpack to far more than they weigh (security issue #10, items
10-12), and forms that say every error at once (journeys issue #9)."""

import io
import re
import zipfile
from datetime import date, timedelta

import pytest
from openpyxl import Workbook

from app.core import tabular
from app.core.identity import (
    InvalidIdentity,
    is_ascii_digits,
    normalize_digit_code,
    normalize_mobile,
    parse_id_number,
    parse_int,
)
from app.core.timeutil import to_local
from app.exams.models import ExamResult
from app.extensions import db
from app.places.models import Community
from app.training.models import Attendance
from app.workers.models import Worker
from tests import factories as f
from tests.factories import csrf_token, login, post

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.fixture
def coord(client, world):
    login(client, "t_coord_a")
    return client


@pytest.fixture
def admin(client, world):
    login(client, "t_admin")
    return client


def _page(response) -> str:
    return response.get_data(as_text=True)


def _new_worker(world, **fields):
    data = {
        "id_number": f.id_number(birth=date(1991, 2, 3)),
        "name": "赵敏",
        "phone": "13900000009",
        "community_id": str(world.community_a.id),
        "post_type": "staff",
        "start_date": "2024-03-01",
        "end_date": "",
    }
    return data | fields


# ---- 10. one number, one spelling: ASCII digits only, after NFKC ----


def test_a_full_width_id_number_is_the_same_worker_never_a_second(coord, world):
    number = world.worker_a.id_number
    before = db.session.query(Worker).count()
    response = post(coord, "/workers/new", _new_worker(world, id_number=number.translate(FULL_WIDTH)))
    assert response.status_code == 200
    assert "已登记" in _page(response) or "already registered" in _page(response)
    assert db.session.query(Worker).count() == before


def test_arabic_indic_digits_are_refused_with_a_message_that_says_so(coord, world):
    number = f.id_number(birth=date(1991, 2, 3))
    before = db.session.query(Worker).count()
    response = post(coord, "/workers/new", _new_worker(world, id_number=number.translate(ARABIC_INDIC)))
    assert response.status_code == 200
    assert "请用数字 0 到 9 填写" in _page(response)
    assert db.session.query(Worker).count() == before


def test_a_full_width_mobile_is_stored_in_ascii_and_an_arabic_indic_one_refused(coord, world):
    response = post(coord, "/workers/new", _new_worker(world, phone="１３９００００００１９"))
    assert response.status_code == 302
    assert db.session.query(Worker).filter_by(name="赵敏").one().phone == "13900000019"
    other = f.id_number(birth=date(1992, 2, 3))
    response = post(
        coord, "/workers/new", _new_worker(world, id_number=other, phone="13900000019".translate(ARABIC_INDIC))
    )
    assert response.status_code == 200 and "请用数字 0 到 9 填写" in _page(response)


def test_a_full_width_id_number_finds_the_worker_in_the_search(coord, world):
    page = _page(coord.get("/workers/", query_string={"q": world.worker_a.id_number.translate(FULL_WIDTH)}))
    assert "张伟" in page


def test_a_community_code_in_other_digits_is_refused(admin, world):
    district = world.community_a.district
    street = world.community_a.street
    before = db.session.query(Community).count()
    response = post(
        admin,
        f"/places/districts/{district.id}/communities/new",
        {"street_id": str(street.id), "code": "500103999".translate(ARABIC_INDIC), "name": "新社区"},
    )
    assert response.status_code == 200 and "is-invalid" in _page(response)
    assert db.session.query(Community).count() == before


def test_a_full_width_check_in_code_checks_in_and_other_digits_are_refused(client, world, clock):
    meeting = world.session.meetings[0]
    clock.move_to(to_local(meeting.starts_at) + timedelta(minutes=5), tick=True)
    login(client, "t_worker_a")
    code = meeting.checkin_code
    refused = post(client, "/training/checkin", {"code": code.translate(ARABIC_INDIC)}, token_from="/training/me")
    assert refused.status_code == 200 and "请用数字 0 到 9 填写" in _page(refused)
    response = post(client, "/training/checkin", {"code": code.translate(FULL_WIDTH)}, token_from="/training/me")
    assert response.status_code == 302
    assert db.session.query(Attendance).filter_by(meeting_id=meeting.id, worker_id=world.worker_a.id).one()


def test_a_year_in_an_exam_file_and_a_meeting_line_take_ascii_digits_only(admin, world):
    data = f"身份证号,姓名,考试年度,科目,成绩\n{world.worker_a.id_number},张伟,{'2024'.translate(ARABIC_INDIC)},A1,70\n"
    response = _upload(admin, "/exams/import/results", "results.csv", data.encode())
    assert "考试年度 (year)" in _page(response)
    page = _page(admin.get(f"/training/sessions/{world.session.id}/edit"))
    fields = _form_values(page)
    first = fields["meetings"].splitlines()[0]
    response = post(
        admin, f"/training/sessions/{world.session.id}/edit", fields | {"meetings": first.translate(ARABIC_INDIC)}
    )
    assert response.status_code == 200 and "is-invalid" in _page(response)


def test_identity_rules_take_ascii_digits_only(app_ctx):
    number = "11010519491231002X"
    assert parse_id_number(number.translate(FULL_WIDTH)).number == number
    assert parse_id_number(" １１０１０５１９４９１２３１００２ｘ ").number == number
    with pytest.raises(InvalidIdentity, match="0 到 9"):
        parse_id_number(number.translate(ARABIC_INDIC))
    assert normalize_mobile("＋８６ １３８－１２３４－５６７８") == "13812345678"
    with pytest.raises(InvalidIdentity):
        normalize_mobile("13812345678".translate(ARABIC_INDIC))
    assert normalize_digit_code(" ０４２１３７ ", 6) == "042137"
    with pytest.raises(InvalidIdentity):
        normalize_digit_code("042137".translate(ARABIC_INDIC), 6)
    assert not is_ascii_digits("²") and not is_ascii_digits("٥") and is_ascii_digits("5")
    assert parse_int("²", 1, 10) is None and parse_int("9" * 400, 1, 10) is None and parse_int(" 7 ", 1, 10) == 7


# ---- 11. nothing a person sends ends in a 500 ----


def test_a_nul_byte_at_sign_in_is_a_400_that_says_why_in_chinese(client, world):
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"login": "t_admin\x00", "password": "x", "csrf_token": token})
    assert response.status_code == 400
    assert "控制字符" in _page(response)


def test_a_nul_byte_in_a_search_is_a_400_that_says_why_in_english(coord):
    post(coord, "/locale/en", {})
    response = coord.get("/workers/", query_string={"q": "张\x00"})
    assert response.status_code == 400
    assert "invisible control character" in _page(response)


def test_tabs_and_line_breaks_in_a_textarea_are_kept(admin, world):
    response = post(
        admin,
        f"/training/courses/{world.course.id}",
        {
            "track": world.course.track.value,
            "target_level": "",
            "title": world.course.title,
            "description": "第一行\r\n\t第二行",
            "credit_hours": "12",
            "threshold": "80",
        },
    )
    assert response.status_code == 302
    db.session.refresh(world.course)
    assert "\t第二行" in world.course.description


@pytest.mark.parametrize(
    "url",
    [
        "/workers/?district=" + "9" * 400,
        "/workers/?street=٥",
        "/admin/audit/?entity_id=²",
        "/admin/audit/?to=9999-12-31",
        "/admin/audit/?from=0001-01-01",
        "/allowance/runs/2026-10?month=2026-11",
    ],
)
def test_odd_query_parameters_are_ignored_not_a_500(admin, url):
    assert admin.get(url).status_code == 200


def test_a_400_digit_capacity_says_the_range(coord, world):
    page = _page(coord.get(f"/training/sessions/{world.session.id}/edit"))
    fields = _form_values(page)
    response = post(coord, f"/training/sessions/{world.session.id}/edit", fields | {"capacity": "9" * 400})
    assert response.status_code == 200
    assert "请填写 1 到 10000 之间的数" in _page(response)
    db.session.refresh(world.session)
    assert world.session.capacity < 10000


@pytest.mark.parametrize(
    "score,message",
    [(s, "请填写 0 到 100 之间的数") for s in ("NaN", "sNaN", "Infinity", "1e999999", "100.1", "-0.5", "")]
    + [("٥٠", "请用数字 0 到 9 填写")],
)
def test_a_score_that_is_no_score_says_the_range(coord, world, score, message):
    url = f"/exams/workers/{world.worker_a.id}/results/new"
    response = post(coord, url, {"exam_year": str(world.exam_year.id), "subject": "A1", "score": score})
    assert response.status_code == 200
    assert message in _page(response)


def test_a_score_of_nought_is_a_score(coord, world):
    response = post(
        coord,
        f"/exams/workers/{world.worker_a.id}/results/new",
        {"exam_year": str(world.exam_year.id), "subject": "I1", "score": "0"},
    )
    assert response.status_code == 302
    assert db.session.query(ExamResult).filter_by(worker_id=world.worker_a.id, subject="I1").one().score == 0


def test_a_350000_character_cell_is_a_row_error(admin, world):
    code = world.community_a.code
    data = (
        f"身份证号,姓名,社区代码,岗位,到岗日期\n{world.worker_a.id_number},{'张' * 350_000},{code},staff,2024-01-01\n"
    )
    response = _upload(admin, "/workers/import", "posts.csv", data.encode())
    assert response.status_code == 200
    assert re.search(r"350000 个字符", _page(response))


def test_an_over_long_name_in_an_exam_file_is_a_row_error(admin, world):
    for name in ("张" * 65, "张" * 350_000):
        data = f"身份证号,姓名,考试年度,科目,成绩\n{world.worker_a.id_number},{name},2024,A1,70\n"
        response = _upload(admin, "/exams/import/results", "results.csv", data.encode())
        assert response.status_code == 200
        assert "姓名 (name)" in _page(response)


# ---- 12. a file is bounded by what it unpacks to, not by what it weighs ----


def _xlsx(rows: int, dimension: bool = True, cell: str = "1", numbered: bool = False) -> bytes:
    """A workbook whose first sheet has a header and `rows` rows of `cell`, deflated. Rows without
    their numbers repeat exactly and deflate as a bomb does; numbered rows deflate like real ones."""
    book = Workbook()
    book.active.append(["id_number", "name"])
    buffer = io.BytesIO()
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                if numbered:
                    body = "".join(
                        f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{cell}</t></is></c></row>'
                        for n in range(2, rows + 2)
                    )
                else:
                    body = f'<row><c t="inlineStr"><is><t>{cell}</t></is></c></row>' * rows
                dim = f'<dimension ref="A1:B{rows + 1}"/>' if dimension else ""
                data = (
                    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                    f'{dim}<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>id_number</t></is></c>'
                    f'<c r="B1" t="inlineStr"><is><t>name</t></is></c></row>{body}</sheetData></worksheet>'
                ).encode()
            target.writestr(item.filename, data)
    return out.getvalue()


COLUMNS = [tabular.Column("id_number", "身份证号"), tabular.Column("name", "姓名", required=False)]


def test_a_72_kb_workbook_of_500000_rows_is_refused_unopened(app_ctx):
    bomb = _xlsx(500_000, dimension=False)
    assert len(bomb) < 100_000
    with pytest.raises(tabular.FileRejected, match="压缩炸弹"):
        tabular.read_table("bomb.xlsx", bomb, COLUMNS)


def test_a_sheet_that_declares_500000_rows_is_refused_before_it_is_read(app_ctx):
    big = _xlsx(500_000, numbered=True)  # deflates like a real sheet: no bomb, just too long
    with pytest.raises(tabular.FileRejected, match="200,000"):
        tabular.read_table("big.xlsx", big, COLUMNS)


def test_a_sheet_without_a_dimension_is_counted_as_it_is_read(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 1000)
    assert len(tabular.read_table("ok.xlsx", _xlsx(1000, dimension=False), COLUMNS).rows) == 1000
    with pytest.raises(tabular.FileRejected, match="1,000"):
        tabular.read_table("bomb.xlsx", _xlsx(1001, dimension=False), COLUMNS)


def test_a_workbook_that_unpacks_past_the_bound_is_refused_before_parsing(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_UNPACKED_MB", 1)
    bomb = _xlsx(100, cell="x" * 20_000)  # 2 MB of sheet, a few KB deflated
    with pytest.raises(tabular.FileRejected, match="1 MB"):
        tabular.read_table("bomb.xlsx", bomb, COLUMNS)


def test_a_csv_of_too_many_lines_is_refused(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 100)
    with pytest.raises(tabular.FileRejected, match="100"):
        tabular.read_table("bomb.csv", b"id_number\n" + b"\n" * 1000 + b"1\n", COLUMNS)


def test_an_uploaded_bomb_is_a_message_on_the_page(admin, world):
    response = _upload(admin, "/workers/import", "bomb.xlsx", _xlsx(500_000))
    assert response.status_code == 200
    assert "压缩炸弹" in _page(response)


# ---- 9. every error at once, with the field's label; mobiles checked wherever they are typed ----


def test_a_form_lists_every_error_with_its_label_at_the_top(coord, world):
    response = post(coord, "/workers/new", _new_worker(world, id_number="500103199001011234", name="", phone="1234"))
    page = _page(response)
    summary = page[page.index('id="error-summary"') : page.index("</ul>", page.index('id="error-summary"'))]
    for label, anchor in (("身份证号", "#id_number"), ("姓名", "#name"), ("手机号", "#phone")):
        assert f'href="{anchor}">{label}</a>' in summary, label


def test_the_mobile_is_checked_when_a_worker_is_edited(coord, world):
    worker = world.worker_a
    response = post(
        coord, f"/workers/{worker.id}/edit", {"id_number": worker.id_number, "name": worker.name, "phone": "12345"}
    )
    assert response.status_code == 200 and "11 位" in _page(response)
    db.session.refresh(worker)
    assert worker.phone == "13800000001"


def test_a_number_out_of_range_says_its_range(admin, world):
    response = post(admin, "/exams/years/new", {"year": "3000", "results_date": "2030-01-01"})
    assert "请填写 1990 到 2100 之间的数" in _page(response)


# ---- helpers ----


def _upload(client, url: str, filename: str, data: bytes):
    token = csrf_token(client, url)
    return client.post(
        url, data={"file": (io.BytesIO(data), filename), "csrf_token": token}, content_type="multipart/form-data"
    )


_INPUT = re.compile(r'<(input|textarea|select)\b[^>]*\bname="([^"]+)"[^>]*>', re.S)


def _form_values(page: str) -> dict:
    """The values a form shows (inputs, textareas, the selected option), to change one of them."""
    values = {}
    for match in _INPUT.finditer(page):
        tag, name = match.group(1), match.group(2)
        if tag == "input":
            value = re.search(r'\bvalue="([^"]*)"', match.group(0))
            values[name] = value.group(1) if value else ""
        elif tag == "textarea":
            values[name] = page[match.end() : page.index("</textarea>", match.end())]
        else:
            body = page[match.end() : page.index("</select>", match.end())]
            chosen = re.search(r'<option[^>]*value="([^"]*)"[^>]*selected', body)
            values[name] = chosen.group(1) if chosen else ""
    values.pop("csrf_token", None)
    return {k: v.replace("&#34;", '"').replace("&amp;", "&") for k, v in values.items()}
