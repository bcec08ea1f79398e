"""Bank file templates: the default makes the old fixed file, byte for byte; a custom template lays
out its columns, headers, order and encoding; XLSX is byte-identical when made again; a totals row
sums; bad templates are refused with nothing written; the CLI names an unknown template."""

import csv
import hashlib
import io
import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.allowance.rules import Month
from app.core.audit import AuditLog
from app.core.exporting import safe_cell
from app.payments import bank_template_services as templates
from app.payments import services
from app.payments.bank_template_services import TemplateSpec
from app.payments.bank_templates import BankFileTemplate
from app.payments.bankfile import bank_file, export_batch, file_name, payee_rows
from app.payments.models import PaymentLine
from tests.factories import login, post
from tests.payments.helpers import account, locked_run

MAR = Month.of(2026, 3)


@pytest.fixture
def batch(db, world, today):
    world.acc_a = account(world.worker_a, today - timedelta(days=30), code="314")
    world.acc_b = account(world.worker_b, today - timedelta(days=30), code="102")
    locked_run(MAR, {world.worker_a: ["300.00", "16.13"], world.worker_b: "200.50"})
    made = services.make_batch(MAR, world.payroll_city)
    db.session.commit()
    return made


def _old_fixed_file(batch) -> bytes:
    """The file as app/payments/bankfile.py wrote it before templates (kept here to compare)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["序号", "户名", "账号", "金额", "开户行", "身份证号", "摘要"])
    for n, row in enumerate(payee_rows(batch), start=1):
        writer.writerow(
            [
                n,
                safe_cell(row.holder_name),
                row.account_no,
                f"{row.paid:.2f}",
                row.bank_name,
                row.id_number,
                "2026年03月职业津贴",
            ]
        )
    return buffer.getvalue().encode("gb18030")


def _template(db, name="建行代发", **kwargs) -> BankFileTemplate:
    columns = kwargs.pop("columns", [("seq", "序号"), ("account_no", "账号"), ("name", "户名"), ("amount", "金额")])
    made = templates.save_template(None, TemplateSpec(name=name, columns=columns, **kwargs))
    db.session.commit()
    return made


def _rows(content: bytes, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode(encoding))))


def test_the_seeded_default_makes_the_old_fixed_file_byte_for_byte(db, world, batch):
    default = templates.default_template()
    assert default is not None and default.headers == ["序号", "户名", "账号", "金额", "开户行", "身份证号", "摘要"]
    assert (default.file_format, default.encoding, default.header_row, default.totals_row) == (
        "csv",
        "gb18030",
        True,
        False,
    )
    old = _old_fixed_file(batch)
    assert bank_file(batch) == old
    assert bank_file(batch, default) == old
    assert file_name(batch) == "payments-2026-03.csv"


def test_a_custom_template_writes_its_columns_headers_and_order_in_its_encoding(db, world, batch):
    chosen = _template(
        db,
        columns=[("amount", "金额(元)"), ("account_no", "卡号"), ("name", "姓名"), ("district", "区县"), ("memo", "")],
        encoding="utf-8-sig",
    )
    content = bank_file(batch, chosen)
    assert content.startswith(b"\xef\xbb\xbf")
    rows = _rows(content, "utf-8-sig")
    assert rows[0] == ["金额(元)", "卡号", "姓名", "区县", "摘要"]  # an empty header takes the catalogue's
    assert rows[1] == ["316.13", world.acc_a.account_no, "张伟", world.community_a.district.name, "2026年03月职业津贴"]
    assert rows[2][:3] == ["200.50", world.acc_b.account_no, "李娜"]
    assert len(rows) == 3
    assert file_name(batch, chosen) == "payments-2026-03-建行代发.csv"
    plain = _template(db, name="无表头", encoding="utf-8", header_row=False)
    assert _rows(bank_file(batch, plain), "utf-8")[0] == ["1", world.acc_a.account_no, "张伟", "316.13"]


def test_a_totals_row_sums_the_amounts_with_its_label_in_the_first_other_column(db, world, batch):
    chosen = _template(db, columns=[("amount", "金额"), ("account_no", "账号")], totals_row=True, totals_label="总计")
    rows = _rows(bank_file(batch, chosen), "gb18030")
    assert rows[-1] == ["516.63", "总计"]
    total = db.session.scalar(sa.select(sa.func.sum(PaymentLine.paid)).where(PaymentLine.batch_id == batch.id))
    assert Decimal(rows[-1][0]) == total


def test_xlsx_is_byte_identical_when_made_again_later_and_reads_back(db, world, batch, monkeypatch):
    chosen = _template(db, name="XLSX", file_format="xlsx", totals_row=True)
    first, digest = export_batch(batch, chosen)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 3 * 86400)  # the ZIP entries would carry the clock
    second, digest2 = export_batch(batch, chosen)
    assert first == second and digest == digest2 == hashlib.sha256(first).hexdigest()
    book = load_workbook(io.BytesIO(first))
    assert book.properties.created == book.properties.modified == datetime.combine(batch.made_on, datetime.min.time())
    values = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert values[0] == ["序号", "账号", "户名", "金额"]
    assert values[1] == [1, world.acc_a.account_no, "张伟", pytest.approx(316.13)]
    assert values[-1] == ["合计", None, None, pytest.approx(516.63)]
    assert book.active["B2"].data_type == "s" and book.active["D2"].number_format == "0.00"
    assert file_name(batch, chosen) == "payments-2026-03-XLSX.xlsx"
    entries = db.session.scalars(
        sa.select(AuditLog).where(AuditLog.entity_type == "payment_batch", AuditLog.action == "export")
    ).all()
    assert [(e.after["template"], e.after["format"], e.after["sha256"]) for e in entries] == [
        ("XLSX", "xlsx", digest)
    ] * 2


def test_a_template_without_an_amount_or_with_a_taken_name_is_refused_and_nothing_is_written(client, db, world):
    login(client, world.admin.username)
    before = db.session.scalar(sa.select(sa.func.count()).select_from(BankFileTemplate))
    logged = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
    form = {"name": "农商行", "bank": "0", "file_format": "csv", "encoding": "gb18030", "header_row": "y"}
    form |= {"col_account_no-chosen": "y", "col_account_no-order": "1", "col_account_no-header": "账号"}  # no amount
    page = post(client, "/payments/bank-templates/new", form, token_from="/payments/bank-templates/new")
    assert page.status_code == 200
    assert "金额" in page.get_data(as_text=True).split('id="error-summary"')[1].split("</div>")[0]
    form |= {"col_amount-chosen": "y", "col_amount-order": "2", "col_amount-header": "金额"}
    taken = post(client, "/payments/bank-templates/new", form | {"name": templates.default_template().name})
    assert taken.status_code == 200 and "error-summary" in taken.get_data(as_text=True)
    bad_order = post(client, "/payments/bank-templates/new", form | {"col_amount-order": "x"})
    summary = bad_order.get_data(as_text=True).split('id="error-summary"')[1].split("</div>")[0]
    assert bad_order.status_code == 200 and "金额" in summary and ">order<" not in summary and ": order" not in summary
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BankFileTemplate)) == before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == logged
    with pytest.raises(templates.ServiceError):
        templates.save_template(None, TemplateSpec(name="x", columns=[("amount", ""), ("amount", "")]))


def test_an_admin_adds_a_template_by_choosing_and_ordering_columns_and_it_is_audited(client, db, world):
    login(client, world.admin.username)
    new = client.get("/payments/bank-templates/new").get_data(as_text=True)
    assert 'id="use-account_no"' in new and 'id="order-district"' in new
    form = {"name": "重庆农商行", "bank": "0", "file_format": "xlsx", "encoding": "gb18030", "totals_row": "y"}
    form |= {"totals_label": "合计", "col_amount-chosen": "y", "col_amount-order": "1", "col_amount-header": "金额"}
    form |= {"col_account_no-chosen": "y", "col_account_no-order": "2", "col_account_no-header": "卡号"}
    form |= {"col_name-chosen": "y", "col_name-order": "3", "col_name-header": "姓名"}
    form |= {"col_district-order": "4", "col_district-header": "不选"}  # not ticked: not in the file
    response = post(client, "/payments/bank-templates/new", form, token_from="/payments/bank-templates/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    saved = templates.template_named("重庆农商行")
    assert saved.headers == ["金额", "卡号", "姓名"] and saved.file_format == "xlsx" and not saved.header_row
    entry = db.session.scalar(
        sa.select(AuditLog).where(AuditLog.entity_type == "bank_file_template", AuditLog.entity_id == saved.id)
    )
    assert entry is not None and entry.action == "create"
    listing = client.get("/payments/bank-templates").get_data(as_text=True)
    assert "重庆农商行" in listing and "金额 | 卡号 | 姓名" in listing
    log = client.get("/admin/audit/?q=重庆农商行").get_data(as_text=True)
    assert "代发文件模板" in log and "金额 | 卡号 | 姓名" in log and "XLSX（Excel）" in log
    edit = client.get(f"/payments/bank-templates/{saved.id}").get_data(as_text=True)
    assert 'value="卡号"' in edit


def test_one_default_at_a_time_and_the_default_is_not_simply_unset(db, world):
    default = templates.default_template()
    with pytest.raises(templates.ServiceError) as refused:
        templates.save_template(
            default, TemplateSpec(name=default.name, columns=[(c["key"], c["header"]) for c in default.columns])
        )
    assert refused.value.field == "is_default"
    db.session.rollback()
    other = _template(db, name="新默认", is_default=True)
    assert templates.default_template() == other and not db.session.get(BankFileTemplate, default.id).is_default


def test_admins_and_city_wide_payroll_manage_templates_a_district_payroll_officer_does_not(app, db, world):
    for user, code in ((world.payroll_a, 403), (world.coord_city, 403), (world.payroll_city, 200), (world.admin, 200)):
        client = app.test_client()
        login(client, user.username)
        assert client.get("/payments/bank-templates").status_code == code, user.username
        assert client.get("/payments/bank-templates/new").status_code == code, user.username


def test_the_batch_page_offers_the_templates_and_downloads_with_the_chosen_one(client, db, world, batch):
    chosen = _template(db, name="XLSX", file_format="xlsx")
    login(client, world.payroll_city.username)
    html = client.get("/payments/batches/2026-03").get_data(as_text=True)
    assert 'id="bank-template"' in html and f'value="{chosen.id}"' in html
    response = client.get(f"/payments/batches/2026-03/bank.csv?template={chosen.id}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "payments-2026-03-XLSX.xlsx" in response.headers["Content-Disposition"]
    assert response.get_data() == bank_file(batch, chosen)
    default = client.get("/payments/batches/2026-03/bank.csv")
    assert default.get_data() == _old_fixed_file(batch) and "charset=gb18030" in default.headers["Content-Type"]
    assert client.get("/payments/batches/2026-03/bank.csv?template=9999").status_code == 404


def test_the_command_takes_a_template_by_name_and_names_an_unknown_one(app, db, world, batch, tmp_path):
    chosen = _template(db, name="UTF8", encoding="utf-8")
    out = tmp_path / "bank.csv"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["payments", "export", "2026-03", "--template", "UTF8", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == bank_file(batch, chosen)
    unknown = runner.invoke(args=["payments", "export", "2026-03", "--template", "工行", "-o", str(tmp_path / "x")])
    assert unknown.exit_code == 1
    assert "工行: no bank file template has this name" in unknown.output and "UTF8" in unknown.output
    assert not (tmp_path / "x").exists()


def test_xlsx_keeps_text_as_written_and_leaves_empty_cells_in_their_columns():
    from types import SimpleNamespace

    from app.payments.bankfile_xlsx import write_xlsx

    batch = SimpleNamespace(month=datetime(2026, 3, 1), made_on=datetime(2026, 4, 2).date())
    keys = ["seq", "name", "account_no", "amount"]
    rows = [
        ["序号", "户名", "账号", "金额"],
        [1, " 李<&>\"四' ", "6217000000000000005", Decimal("0.10")],
        [2, "=HYPERLINK(1)", "6217000000000000013", Decimal("1234567.89")],
        [3, "王\x01五\x0b", "6217000000000000021", Decimal("0.00")],
        [None, "合计", None, Decimal("1234567.99")],
    ]
    book = load_workbook(io.BytesIO(write_xlsx(rows, keys, batch)))
    sheet = book.active
    assert sheet.title == "2026-03"
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[1] == [1, " 李<&>\"四' ", "6217000000000000005", pytest.approx(0.10)]
    assert values[2][1] == safe_cell("=HYPERLINK(1)") and sheet["B3"].data_type == "s"  # never a formula
    assert values[3] == [3, "王\ufffd五\ufffd", "6217000000000000021", 0]  # what XML cannot hold, shown as such
    assert values[4] == [None, "合计", None, pytest.approx(1234567.99)]
    assert sheet["C2"].number_format == "@" and sheet["D5"].number_format == "0.00"
    assert write_xlsx(rows, keys, batch) == write_xlsx(rows, keys, batch)
