"""Statements (工资条): the page and the PDF, per worker and month; a district's as one PDF; scope; CLI."""

import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from app.allowance.rules import Month
from app.core.timeutil import utcnow
from app.payments import services
from app.payments.models import BankResult, PaymentLine, PaymentResult
from tests import factories as f
from tests.payments.helpers import account, locked_run

JAN = Month.of(2025, 1)
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")


def pdf_pages(content: bytes) -> list[str]:
    """Each page's text, read back through the fonts' own ToUnicode maps. pypdf parses the file;
    its extract_text() cannot be used: fpdf2 encodes a CID-keyed OpenType font (Noto Sans CJK) with
    an embedded encoding CMap, which pypdf reads as one-byte codes (Chrome, Acrobat and poppler
    read it right: `pdftotext` gives the same text as this)."""
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    pages = []
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        maps = {name: _to_unicode(font.get_object()) for name, font in fonts.items()}
        text, current = [], {}
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                current = maps[operands[0]]
            elif operator in (b"Tj", b"TJ"):
                strings = operands[0] if operator == b"TJ" else [operands[0]]
                for s in strings:
                    if hasattr(s, "original_bytes"):
                        raw = s.original_bytes
                        text.append("".join(current.get(raw[i : i + 2], "") for i in range(0, len(raw), 2)))
                text.append("\n")
        pages.append("".join(text))
    return pages


def _to_unicode(font) -> dict[bytes, str]:
    data = font["/ToUnicode"].get_object().get_data()
    out = {}
    for code, uni in _BFCHAR.findall(data.split(b"beginbfchar", 1)[1] if b"beginbfchar" in data else b""):
        out[bytes.fromhex(code.decode())] = bytes.fromhex(uni.decode()).decode("utf-16-be")
    return out


@pytest.fixture
def paid_month(db, world, today):
    """January: worker_a has an allowance of 120.00 and arrears of −30.00 (net 90.00, paid to their
    account); worker_b has 80.00 and no account (carried forward as payable)."""
    account(world.worker_a, today - timedelta(days=5))
    locked_run(JAN, {world.worker_a: ["120.00", "-30.00"], world.worker_b: "80.00"})
    batch = services.make_batch(JAN, world.payroll_city)
    db.session.commit()
    return batch


def _line(db, batch, worker) -> PaymentLine:
    return db.session.query(PaymentLine).filter_by(batch_id=batch.id, worker_id=worker.id).one()


def _result(db, batch, worker, status, reason=None):
    line = _line(db, batch, worker)
    db.session.add(
        PaymentResult(
            line_id=line.id,
            batch_id=batch.id,
            status=status,
            amount=line.paid,
            reason=reason,
            filename="return.csv",
            recorded_at=utcnow(),
        )
    )
    db.session.commit()


def test_the_worker_reads_their_statement_with_lines_formulas_carried_net_and_status(client, world, paid_month):
    f.login(client, world.worker_user.username)
    assert 'href="/payments/mine/2025-01"' in client.get("/payments/mine").get_data(as_text=True)
    html = client.get("/payments/mine/2025-01").get_data(as_text=True)
    assert world.worker_a.name in html and world.worker_a.masked_id in html
    assert world.worker_a.id_number not in html
    assert "2025-01" in html and "2024-12" in html  # the arrears line names the month it corrects
    lines = html.split('id="statement-lines"')[1].split("</table>")[0]
    assert lines.count("<tr>") == 3 and "120.00" in lines and "-30.00" in lines and "test" in lines
    assert re.search(r'id="statement-net">90\.00<', html)
    assert re.search(r'id="statement-carried-in">0\.00<', html)
    assert 'data-state="pending"' in html
    assert 'href="/payments/mine/2025-01/statement.pdf"' in html
    assert "statement.css" in html


def test_the_worker_downloads_the_pdf_with_their_name_month_and_net(client, world, paid_month):
    f.login(client, world.worker_user.username)
    response = client.get("/payments/mine/2025-01/statement.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    (page,) = pdf_pages(response.data)
    assert world.worker_a.name in page and "2025-01" in page and "90.00" in page
    assert "职业津贴" in page  # the title, in Chinese (the default language)
    assert world.worker_a.masked_id in page and world.worker_a.id_number not in page


def test_a_returned_payment_shows_the_banks_reason_and_a_paid_one_says_paid(client, db, world, paid_month):
    f.login(client, world.worker_user.username)
    _result(db, paid_month, world.worker_a, BankResult.returned, "账户已销户")
    html = client.get("/payments/mine/2025-01").get_data(as_text=True)
    assert 'data-state="returned"' in html and "账户已销户" in html
    (page,) = pdf_pages(client.get("/payments/mine/2025-01/statement.pdf").data)
    assert "账户已销户" in page


def test_a_paid_payment_says_paid(client, db, world, paid_month):
    _result(db, paid_month, world.worker_a, BankResult.paid)
    f.login(client, world.worker_user.username)
    assert 'data-state="paid"' in client.get("/payments/mine/2025-01").get_data(as_text=True)


def test_a_deduction_carries_forward_and_the_next_month_shows_it_carried_in(client, db, world, today):
    account(world.worker_a, today - timedelta(days=5))
    locked_run(JAN, {world.worker_a: ["100.00", "-150.00"]})
    services.make_batch(JAN, world.payroll_city)
    locked_run(JAN.shift(1), {world.worker_a: "200.00"})
    services.make_batch(JAN.shift(1), world.payroll_city)
    db.session.commit()
    f.login(client, world.worker_user.username)
    jan = client.get("/payments/mine/2025-01").get_data(as_text=True)
    assert re.search(r'id="statement-net">-50\.00<', jan) and re.search(r'id="statement-carried-out">-50\.00<', jan)
    assert 'data-state="carried"' in jan
    feb = client.get("/payments/mine/2025-02").get_data(as_text=True)
    assert re.search(r'id="statement-carried-in">-50\.00<', feb) and re.search(r'id="statement-net">150\.00<', feb)


def test_a_worker_gets_only_their_own_statement(client, db, world, today):
    locked_run(JAN, {world.worker_b: "80.00"})
    services.make_batch(JAN, world.payroll_city)
    db.session.commit()
    f.login(client, world.worker_user.username)  # worker_a: not in the batch
    assert client.get("/payments/mine/2025-01").status_code == 404
    assert client.get("/payments/mine/2025-01/statement.pdf").status_code == 404
    assert client.get(f"/payments/batches/2025-01/statements/{world.worker_b.id}").status_code == 403
    assert client.get(f"/payments/batches/2025-01/statements/{world.worker_b.id}/statement.pdf").status_code == 403
    assert client.get("/payments/mine/2025-02").status_code == 404  # no batch
    assert client.get("/payments/mine/2025-13").status_code == 404


@pytest.mark.parametrize("who", ("coord_a", "payroll_a"))
def test_district_staff_read_statements_in_their_districts_only(who, client, world, paid_month):
    f.login(client, getattr(world, who).username)
    own = client.get(f"/payments/batches/2025-01/statements/{world.worker_a.id}")
    assert own.status_code == 200 and world.worker_a.name in own.get_data(as_text=True)
    back = re.search(r'href="([^"]+)" id="statement-back"', own.get_data(as_text=True)).group(1)
    assert client.get(back).status_code == 200  # a coordinator back to the worker, payroll to the district's list
    assert client.get(f"/payments/batches/2025-01/statements/{world.worker_a.id}/statement.pdf").status_code == 200
    assert client.get(f"/payments/batches/2025-01/statements/{world.worker_b.id}").status_code == 404
    assert client.get(f"/payments/batches/2025-01/statements/{world.worker_b.id}/statement.pdf").status_code == 404


def test_a_district_payroll_officer_prints_their_district_only(client, world, paid_month):
    f.login(client, world.payroll_a.username)
    a, b = world.community_a.district_id, world.community_b.district_id
    page = client.get("/payments/batches/2025-01/statements").get_data(as_text=True)
    assert "district-pdf-500103" in page and "district-pdf-500104" not in page
    assert client.get(f"/payments/batches/2025-01/statements?district={b}").status_code == 404
    assert client.get(f"/payments/batches/2025-01/districts/{b}/statements.pdf").status_code == 404
    listed = client.get(f"/payments/batches/2025-01/statements?district={a}").get_data(as_text=True)
    assert f"/payments/batches/2025-01/statements/{world.worker_a.id}" in listed
    assert client.get(f"/payments/batches/2025-01/districts/{a}/statements.pdf").status_code == 200


def test_a_districts_pdf_has_a_page_per_worker_in_name_order(client, db, world, today):
    others = [f.worker(world.community_a, name=n) for n in ("王芳", "刘洋")]
    account(world.worker_a, today - timedelta(days=5))
    locked_run(JAN, {world.worker_a: "120.00", others[0]: "100.00", others[1]: "-20.00", world.worker_b: "80.00"})
    services.make_batch(JAN, world.payroll_city)
    db.session.commit()
    f.login(client, world.payroll_city.username)
    response = client.get(f"/payments/batches/2025-01/districts/{world.community_a.district_id}/statements.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "statement-2025-01-500103.pdf" in response.headers["Content-Disposition"]
    pages = pdf_pages(response.data)
    assert len(pages) == 3
    names = sorted([world.worker_a, *others], key=lambda w: (w.name, w.id_number))
    for page, worker in zip(pages, names, strict=True):
        assert worker.name in page and "2025-01" in page
    assert not any(world.worker_b.name in p for p in pages)
    assert "-20.00" in pages[[w.name for w in names].index("刘洋")]


def test_the_pdf_says_why_when_no_chinese_font_is_found(app, client, world, paid_month, monkeypatch):
    monkeypatch.setitem(app.config, "PDF_FONT_PATH", "/nonexistent/font.ttc")
    f.login(client, world.worker_user.username)
    response = client.get("/payments/mine/2025-01/statement.pdf")
    assert response.status_code == 302 and response.headers["Location"].endswith("/payments/mine/2025-01")
    assert "PDF_FONT_PATH" in client.get("/payments/mine/2025-01").get_data(as_text=True)


def test_the_cli_writes_a_statement_and_refuses_an_unknown_id_or_a_month_without_a_batch(
    app, world, paid_month, tmp_path
):
    runner = app.test_cli_runner()
    out = tmp_path / "statement.pdf"
    result = runner.invoke(args=["payments", "statement", world.worker_a.id_number, "2025-01", "-o", str(out)])
    assert result.exit_code == 0, result.output
    (page,) = pdf_pages(out.read_bytes())
    assert world.worker_a.name in page and "90.00" in page
    unknown = runner.invoke(args=["payments", "statement", f.id_number(), "2025-01", "-o", str(tmp_path / "x.pdf")])
    assert unknown.exit_code != 0 and "no worker with this ID number" in unknown.output
    no_batch = runner.invoke(
        args=["payments", "statement", world.worker_a.id_number, "2025-02", "-o", str(tmp_path / "y.pdf")]
    )
    assert no_batch.exit_code != 0 and "no payment batch" in no_batch.output
    assert not (tmp_path / "x.pdf").exists() and not (tmp_path / "y.pdf").exists()


def test_statement_sums_hold(db, world, paid_month):
    from app.payments.statements import statement_for

    s = statement_for(world.payroll_city, paid_month, world.worker_a.id)
    assert sum(line.amount for line in s.lines) == s.lines_total == Decimal("90.00")
    assert s.lines_total + s.carried_in == s.net == s.paid + s.carried_out


def test_a_returned_payment_is_carried_into_the_next_statement_and_named_there(client, db, world, paid_month):
    _result(db, paid_month, world.worker_a, BankResult.returned, "账户已冻结")
    locked_run(JAN.shift(1), {world.worker_a: "120.00"})
    services.make_batch(JAN.shift(1), world.payroll_city)
    db.session.commit()
    f.login(client, world.worker_user.username)
    html = client.get("/payments/mine/2025-02").get_data(as_text=True)
    assert re.search(r'id="statement-carried-in">90\.00<', html) and re.search(r'id="statement-net">210\.00<', html)
    returned = html.split('class="returned-in"')[1].split("</tr>")[0]
    assert "2025-01" in returned and "90.00" in returned
    (page,) = pdf_pages(client.get("/payments/mine/2025-02/statement.pdf").data)
    assert "2025-01" in page and "210.00" in page


def test_the_font_is_found_and_a_collections_simplified_chinese_face_is_used(app):
    from fontTools.ttLib import TTCollection

    from app.payments.statement_pdf import collection_index, font_path

    with app.app_context():
        path = font_path()
    if path.suffix.lower() == ".ttc":
        face = TTCollection(str(path), lazy=True).fonts[collection_index(path)]
        assert face["name"].getDebugName(4).endswith((" SC", " GB"))


ZH_LABELS = ("社区工作者职业津贴工资条", "发放状态", "已报送银行，待回盘")
EN_LABELS = ("Professional allowance statement", "Payment status", "Sent to the bank, awaiting its result")


@pytest.mark.parametrize(("lang", "said", "unsaid"), (("zh", ZH_LABELS, EN_LABELS), ("en", EN_LABELS, ZH_LABELS)))
def test_the_cli_writes_the_statement_in_the_language_asked(app, world, paid_month, tmp_path, lang, said, unsaid):
    out = tmp_path / f"statement-{lang}.pdf"
    args = ["payments", "statement", world.worker_a.id_number, "2025-01", "-o", str(out)]
    result = app.test_cli_runner().invoke(args=args + (["--lang", lang] if lang == "en" else []))
    assert result.exit_code == 0, result.output
    (page,) = pdf_pages(out.read_bytes())
    assert all(label in page for label in said) and not any(label in page for label in unsaid)
    assert world.worker_a.name in page and "90.00" in page  # names stay as written
    assert said[2] in result.output


@pytest.mark.parametrize(("locale", "said", "unsaid"), (("zh_CN", ZH_LABELS, EN_LABELS), ("en", EN_LABELS, ZH_LABELS)))
def test_a_districts_pdf_is_in_the_officers_chosen_language(client, db, world, paid_month, locale, said, unsaid):
    world.payroll_city.locale = locale
    db.session.commit()
    f.login(client, world.payroll_city.username)
    response = client.get(f"/payments/batches/2025-01/districts/{world.community_a.district_id}/statements.pdf")
    assert response.status_code == 200
    (page,) = pdf_pages(response.data)
    assert all(label in page for label in said) and not any(label in page for label in unsaid)
    assert world.worker_a.name in page
