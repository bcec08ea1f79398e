"""Exports the finance office can file (issue #9, DOMAIN.md "Files people exchange")."""

import csv
import io
from datetime import date
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.allowance import services
from app.allowance.exporter import export_run
from app.allowance.models import AllowanceLine, AllowanceRun
from app.allowance.rules import Month
from app.core.access import Role
from app.extensions import db
from app.places.models import Community
from tests import factories as f
from tests.allowance.test_runs import close, qualify, run_month
from tests.factories import login


@pytest.fixture
def people(app_ctx):
    class P:
        pass

    p = P()
    p.payroll1 = f.user(Role.payroll, "pay1", city_wide=True)
    p.payroll2 = f.user(Role.payroll, "pay2", city_wide=True)
    street_a, street_b = f.community("500103", "甲街道"), f.community("500103", "乙街道")
    p.a1 = f.worker(street_a, name="王一", start=date(2020, 1, 1))
    p.a2 = f.worker(street_a, name="王二", start=date(2020, 1, 1))
    p.b1 = f.worker(street_b, name="王三", start=date(2020, 1, 1))
    p.c1 = f.worker(f.community("500104"), name="李四", start=date(2020, 1, 1))
    for w in (p.a1, p.a2, p.b1, p.c1):
        qualify(w)
    services.add_hold(p.a2.id, Month.parse("2026-04"), "档案核查")
    return p


def sheet_of(content: bytes):
    return load_workbook(io.BytesIO(content)).worksheets[0]


def test_the_xlsx_is_a_list_the_finance_office_can_file(people):
    run = run_month("2026-04")
    close(run, people)
    query = sa.select(AllowanceLine).where(AllowanceLine.run_id == run.id)
    content, _digest = export_run(query, run, "xlsx", made_by="王会计")
    ws = sheet_of(content)
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    title, made, header = rows[0][0], rows[1][0], rows[2]
    assert "2026年04月" in title and "已锁定" in title
    assert "王会计" in made and "北京时间" in made
    assert header[6] == "身份证号" and header[12] == "金额"
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref.startswith("A3:")
    assert ws.column_dimensions["G"].width >= 20  # 18 digits fit
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$3:$3"

    by_name = {r[7]: (i, r) for i, r in enumerate(rows) if len(r) > 7 and r[7]}
    held_index, held = by_name["王二"]
    assert held[12] == 0 and held[15] == "暂停发放：档案核查"
    assert by_name["王一"][1][12] == 200 and isinstance(by_name["王一"][1][12], (int, float))
    amount_cell = ws.cell(row=held_index + 1, column=13)
    assert amount_cell.number_format == "#,##0.00" and amount_cell.data_type == "n"
    assert ws.cell(row=by_name["王一"][0] + 1, column=7).data_type == "s"  # the ID number is text

    subtotals = [(i, r) for i, r in enumerate(rows) if len(r) > 7 and r[7] in ("街道小计", "区县合计", "总计")]
    labels = [(r[7], r[3] or "", r[6], r[12]) for _i, r in subtotals]
    streets = {(street, heads, amount) for label, street, heads, amount in labels if label == "街道小计"}
    assert ("甲街道", "2人", 200) in streets  # 王一 paid, 王二 held: two people, 200.00
    assert ("乙街道", "1人", 200) in streets and len(streets) == 3
    assert [(heads, amount) for label, _s, heads, amount in labels if label == "区县合计"] == [
        ("3人", 400),
        ("1人", 200),
    ]
    assert labels[-1] == ("总计", "", "4人", 600)
    for i, _r in subtotals:
        cell = ws.cell(row=i + 1, column=8)
        assert cell.font.b and cell.fill.fgColor.rgb.endswith("E7E6E6")
        assert ws.cell(row=i + 1, column=13).number_format == "#,##0.00"
    signatures = " ".join(str(v) for v in rows[-1] if v)
    assert "制表" in signatures and "审核" in signatures and "审批" in signatures


def test_the_bank_csv_has_the_held_line_with_its_reason(people):
    run = run_month("2026-04")
    close(run, people)
    query = sa.select(AllowanceLine).where(AllowanceLine.run_id == run.id)
    text = export_run(query, run, "csv")[0].decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    held = [r for r in rows if r[7] == "王二"]
    assert held == [held[0]] and held[0][12] == "0.00" and held[0][15] == "暂停发放：档案核查"
    assert len(rows) == 1 + 4  # the header and four lines, no totals
    en = list(csv.reader(io.StringIO(export_run(query, run, "csv", "en")[0].decode("utf-8-sig"))))
    assert [r[15] for r in en if r[7] == "王二"] == ["held: 档案核查"]


def test_a_draft_or_submitted_run_exports_an_xlsx_marked_for_checking_and_no_csv(client, people):
    run = run_month("2026-04", people.payroll1)
    login(client, "pay1")
    page = client.get("/allowance/runs/2026-04").get_data(as_text=True)
    assert 'id="export-xlsx"' in page and 'id="export-csv"' not in page
    response = client.get("/allowance/runs/2026-04/export.xlsx")
    assert response.status_code == 200
    assert "草稿" in unquote(response.headers["Content-Disposition"])
    assert "草稿" in sheet_of(response.data)["A1"].value
    csv_response = client.get("/allowance/runs/2026-04/export.csv", follow_redirects=True)
    assert csv_response.status_code == 200 and csv_response.mimetype == "text/html"

    services.submit(run, people.payroll1.id)
    db.session.commit()
    response = client.get("/allowance/runs/2026-04/export.xlsx")
    assert "待审批" in unquote(response.headers["Content-Disposition"])
    assert "待审批" in sheet_of(response.data)["A1"].value
    assert client.get("/allowance/runs/2026-04/export.csv").status_code == 302

    services.approve(run, people.payroll2.id)
    services.lock(run, people.payroll2.id)
    db.session.commit()
    response = client.get("/allowance/runs/2026-04/export.xlsx")
    assert response.headers["Content-Disposition"].endswith("filename=allowance-2026-04.xlsx")
    assert client.get("/allowance/runs/2026-04/export.csv").status_code == 200


def test_the_command_line_exports_with_the_same_rules(app, people, tmp_path):
    run = run_month("2026-04")
    db.session.commit()
    runner = app.test_cli_runner()
    out = tmp_path / "draft.xlsx"
    result = runner.invoke(args=["allowance", "export", "2026-04", "--format", "xlsx", "-o", str(out), "--as", "pay1"])
    assert result.exit_code == 0, result.output
    assert "草稿" in sheet_of(out.read_bytes())["A1"].value
    refused = runner.invoke(args=["allowance", "export", "2026-04", "--format", "csv", "-o", str(tmp_path / "x.csv")])
    assert refused.exit_code != 0 and not (tmp_path / "x.csv").exists()
    close(run, people)
    db.session.commit()
    assert (
        runner.invoke(
            args=["allowance", "export", "2026-04", "--format", "csv", "-o", str(tmp_path / "y.csv")]
        ).exit_code
        == 0
    )
    db.session.expire_all()
    kinds = [e.kind.value for e in db.session.query(AllowanceRun).one().events]
    assert kinds == ["computed", "exported", "submitted", "approved", "locked", "exported"]


def test_a_locked_month_reads_the_same_after_its_places_are_renamed(client, people):
    """A line is a snapshot of its places (issue #12): renaming a district, a street or a community
    after the month is locked changes neither its files nor its run page."""
    run = run_month("2026-04")
    close(run, people)
    db.session.commit()
    community = db.session.get(
        Community,
        db.session.scalar(sa.select(AllowanceLine.community_id).where(AllowanceLine.worker_id == people.a1.id)),
    )
    old = (community.district.name, community.street.name, community.name)
    community.district.name, community.street.name, community.name = "新区", "新街道", "新社区"
    db.session.commit()

    query = sa.select(AllowanceLine).where(AllowanceLine.run_id == run.id)
    rows = list(csv.reader(io.StringIO(export_run(query, run, "csv")[0].decode("utf-8-sig"))))
    (a1,) = [r for r in rows if r[7] == "王一"]
    assert (a1[2], a1[3], a1[5]) == old
    assert not any(name in "".join(r) for r in rows for name in ("新区", "新街道", "新社区"))
    sheet = [list(r) for r in sheet_of(export_run(query, run, "xlsx")[0]).iter_rows(values_only=True)]
    assert ("甲街道", "2人", 200) in {(r[3], r[6], r[12]) for r in sheet if len(r) > 7 and r[7] == "街道小计"}
    assert not any(str(v).startswith("新") for r in sheet for v in r if v)

    login(client, "pay1")
    for view in ("lines", "districts", "streets"):
        text = client.get("/allowance/runs/2026-04", query_string={"view": view}).get_data(as_text=True)
        assert old[0] in text and "新区" not in text and "新街道" not in text, view


def test_every_part_of_the_xlsx_is_dated_by_the_clock_so_the_same_instant_makes_the_same_file(people, clock):
    """openpyxl dates a write-only sheet by its temporary file (the system's time): a file made
    twice at one instant of the clock differed when a second boundary fell between the two."""
    import time
    import zipfile
    from datetime import UTC, datetime

    from app.core.exporting import write_xlsx

    made_at = clock.move_to(datetime(2026, 5, 8, 10, 30))
    run = run_month("2026-04")
    close(run, people)
    content, _digest = export_run(sa.select(AllowanceLine).where(AllowanceLine.run_id == run.id), run, "xlsx")
    expected = time.localtime(made_at.astimezone(UTC).timestamp())[:6]
    for made in (content, write_xlsx(["身份证号"], [["500103199001011234"]])):
        with zipfile.ZipFile(io.BytesIO(made)) as archive:
            assert {i.filename: i.date_time for i in archive.infolist()} == dict.fromkeys(archive.namelist(), expected)
