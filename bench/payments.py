"""The payments scenario (issue #14's figures) on the bench database, in this process.

- making a month's payment batch (payments.services.make_batch, ~40,000 payees at 100,000
  workers): median of 3, each in a transaction rolled back after it is timed (a batch is made
  once per month; the service only flushes), target < 5 s;
- the batch's bank file (bankfile.export_batch): the default template (CSV, GB18030) and an
  XLSX template, time and size, targets < 5 s and < 200 MB;
- one district's statements PDF (工资条, a page per payee): 3,000 rows, the largest district's
  first and then the next districts' (a seeded district holds fewer payees than a real one),
  read and rendered as bench/statements.py does (statements.build, statement_pdf.render),
  target < 60 s;
- the API: GET /api/runs/<month>/lines?per_page=1000 with a new client's token, median of 15
  after one unmeasured call, target < 200 ms.

The database must hold a locked month: the month before this one is computed, submitted,
approved and locked through the allowance services as tests/browser/payroll_steps.py does,
unless its run is locked already. Before it is computed, ~40 % of the workers are made paid in it
(add_professionals: registrations renewed, qualifications added, set-based; the demo alone pays
~15 %); after, its workers without a bank account get one (one set-based COPY). Those writes
are committed, then the database is VACUUM ANALYZEd; the batches never are committed.
"""

import io
import statistics
import time
from datetime import timedelta

import sqlalchemy as sa
from pypdf import PdfReader

from app.accounts.models import User
from app.allowance import compute
from app.allowance import services as allowance
from app.allowance.models import AllowanceLine, AllowanceRun, RunState
from app.allowance.rules import Month
from app.api import services as api
from app.api.models import ApiScope
from app.core.bulk import insert_rows
from app.core.timeutil import add_months, local_today, utcnow
from app.extensions import db
from app.payments import bankfile, statement_pdf, statements
from app.payments import services as payments
from app.payments.bank_templates import COLUMNS, DEFAULT_COLUMNS, BankFileTemplate
from app.payments.models import Bank, BankAccount, PaymentLine
from bench.common import make_app, vacuum_analyze
from bench.timing import BenchError, Result

BATCH_RUNS = 3
API_RUNS = 15  # the machine is shared: more samples steady the median
PAGES = 3000
BATCH_TARGET_S = 5
FILE_TARGET_S = 5
FILE_TARGET_MB = 200
PDF_TARGET_S = 60
API_TARGET_MS = 200


def _user(name: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username == name))
    if user is None:
        raise BenchError(f"no user {name}: seed the database with flask seed-demo first")
    return user


def month_locked(month: Month) -> bool:
    run = db.session.scalar(sa.select(AllowanceRun).where(AllowanceRun.month == month.first))
    return run is not None and run.state == RunState.locked


def lock_month(month: Month) -> str:
    """payroll1 computes and submits, payroll2 approves and locks (unless the run is locked)."""
    if month_locked(month):
        return f"{month}: its run was locked already (its payees as they were then)"
    p1, p2 = _user("payroll1"), _user("payroll2")
    start = time.perf_counter()
    run, districts = allowance.start_compute(month, p1.id)
    db.session.commit()
    for district_id in districts:
        compute.compute_part(run.id, district_id)
        db.session.commit()
    allowance.finish_if_complete(run.id)
    allowance.submit(run, p1.id)
    allowance.approve(run, p2.id)
    allowance.lock(run, p2.id)
    db.session.commit()
    return f"{month}: computed, submitted, approved and locked in {time.perf_counter() - start:.1f} s"


PAYEE_SHARE = 0.4  # of the workers: the issue's ~40,000 payees at 100,000 (the seed letter's 44,000 professionals)


def add_professionals(month: Month, workers: int) -> str:
    """Make ~PAYEE_SHARE of the workers paid in the month, set-based, before it is computed.

    The demo qualifies ~30 % of its workers and half of their registrations have lapsed by now (~15 %
    paid); a month of the issue's ~40,000 payees needs more. Every qualification without a
    registration covering the month is renewed (registered a year before it, for three years), then
    workers in post in the month without a qualification get an imported 助理社会工作师 one (obtained two
    years before it, registered a month later) until ~PAYEE_SHARE of the workers hold one: taken in
    md5(id) order, so they spread over the districts and the same workers are taken each time."""
    first, last = month.first, month.last
    in_post = "w.post_start <= :last AND (w.post_end IS NULL OR w.post_end >= :first)"
    params = {"first": first, "last": last, "now": utcnow()}
    qualified = db.session.scalar(
        sa.text(
            "SELECT count(DISTINCT q.worker_id) FROM qualification q JOIN worker w ON w.id = q.worker_id"
            f" WHERE {in_post}"
        ),
        params,
    )
    wanted = max(0, round(workers * PAYEE_SHARE) - qualified)
    added = db.session.execute(
        sa.text(
            "INSERT INTO qualification (worker_id, level, obtained_on, certificate_no, source, created_at, updated_at)"
            " SELECT w.id, 'assistant', :obtained, 'BENCH' || w.id, 'imported', :now, :now FROM worker w"
            f" WHERE {in_post} AND NOT EXISTS (SELECT 1 FROM qualification q WHERE q.worker_id = w.id)"
            " ORDER BY md5(w.id::text) LIMIT :wanted"
        ),
        {**params, "obtained": add_months(first, -24), "wanted": wanted},
    ).rowcount
    renewed = db.session.execute(
        sa.text(
            "INSERT INTO registration (worker_id, level, registered_on, expires_on, created_at, updated_at)"
            " SELECT q.worker_id, q.level, r.day, r.day + interval '3 years' - interval '1 day', :now, :now"
            " FROM qualification q CROSS JOIN LATERAL"
            " (SELECT greatest(q.obtained_on + 30, CAST(:renewed AS date)) AS day) r"
            " WHERE r.day <= :last AND NOT EXISTS (SELECT 1 FROM registration g WHERE g.worker_id = q.worker_id"
            " AND g.level = q.level AND g.registered_on <= :last AND g.expires_on >= :first)"
            " ON CONFLICT DO NOTHING"
        ),
        {**params, "renewed": add_months(first, -12)},
    ).rowcount
    db.session.commit()
    return (
        f"{month}: {qualified:,} workers in post held a qualification; added one to {added:,} more"
        f" (imported, assistant), renewed {renewed:,} registrations to cover the month (set-based)"
    )


def give_accounts(month: Month) -> str:
    """An account valid since a year ago for each worker with lines in the month and none yet."""
    bank_id = db.session.scalar(sa.select(Bank.id).order_by(Bank.id).limit(1))
    if bank_id is None:
        raise BenchError("no bank: seed the database with flask seed-demo first")
    missing = db.session.scalars(
        sa.select(AllowanceLine.worker_id)
        .join(AllowanceRun, AllowanceRun.id == AllowanceLine.run_id)
        .where(AllowanceRun.month == month.first)
        .where(~sa.exists().where(BankAccount.worker_id == AllowanceLine.worker_id))
        .distinct()
    ).all()
    valid_from, now = local_today() - timedelta(days=365), utcnow()
    insert_rows(
        BankAccount.__table__,
        [
            {
                "worker_id": w,
                "bank_id": bank_id,
                "account_no": f"621700{w:013d}",
                "valid_from": valid_from,
                "created_at": now,
                "updated_at": now,
            }
            for w in missing
        ],
    )
    db.session.commit()
    return f"gave {len(missing):,} workers with lines in the month a bank account (COPY)"


def time_batches(month: Month, payroll: User) -> tuple[float, int]:
    """make_batch timed BATCH_RUNS times, each rolled back; the median in s and the payees."""
    samples, lines = [], 0
    for _ in range(BATCH_RUNS):
        start = time.perf_counter()
        batch = payments.make_batch(month, payroll)
        db.session.flush()
        samples.append(time.perf_counter() - start)
        lines = db.session.scalar(sa.select(sa.func.count()).where(PaymentLine.batch_id == batch.id))
        db.session.rollback()
    return statistics.median(samples), lines


def xlsx_template() -> BankFileTemplate:
    """An XLSX layout with the default columns, a header and a totals row (never saved)."""
    return BankFileTemplate(
        name="bench-xlsx",
        columns=[{"key": k, "header": COLUMNS[k].header} for k in DEFAULT_COLUMNS],
        file_format="xlsx",
        encoding="utf-8",
        header_row=True,
        totals_row=True,
        totals_label="合计",
        is_default=False,
    )


def time_files(batch) -> list[Result]:
    results = []
    for label, template in (("default template (CSV)", None), ("an XLSX template", xlsx_template())):
        start = time.perf_counter()
        content, _digest = bankfile.export_batch(batch, template)
        seconds = time.perf_counter() - start
        results.append(Result(f"bank file, {label}: time", seconds, "s", FILE_TARGET_S))
        results.append(Result(f"bank file, {label}: size", len(content) / 1e6, "MB", FILE_TARGET_MB))
    return results


def time_statements(batch) -> tuple[Result, str]:
    """The largest district's statements, read and rendered as one PDF: PAGES of them, the next
    districts' rows after its own when it has fewer (as bench/statements.py takes them)."""
    district_id, count = db.session.execute(
        sa.select(PaymentLine.district_id, sa.func.count())
        .where(PaymentLine.batch_id == batch.id, PaymentLine.district_id.is_not(None))
        .group_by(PaymentLine.district_id)
        .order_by(sa.func.count().desc())
        .limit(1)
    ).one()
    rows = list(
        db.session.scalars(
            sa.select(PaymentLine)
            .where(PaymentLine.batch_id == batch.id)
            .order_by(PaymentLine.district_id != district_id, PaymentLine.district_id, PaymentLine.holder_name)
            .limit(PAGES)
        )
    )
    start = time.perf_counter()
    content = statement_pdf.render(statements.build(batch, rows))
    seconds = time.perf_counter() - start
    pages = len(PdfReader(io.BytesIO(content)).pages)
    note = f"statements PDF: district {district_id} ({count:,} payees), {pages:,} pages, {len(content) / 1e6:.1f} MB"
    return Result(f"statements PDF, {pages:,} pages (largest district first)", seconds, "s", PDF_TARGET_S), note


def time_api(app, month: Month, admin: User) -> float:
    client, token = api.create_client(
        f"bench-{time.time_ns()}", ApiScope.read, False, [], local_today() + timedelta(days=1), admin.id
    )
    db.session.commit()
    http = app.test_client()
    url = f"/api/runs/{month.first:%Y-%m}/lines?per_page=1000"
    headers = {"Authorization": f"Bearer {token}"}
    samples = []
    for n in range(API_RUNS + 1):
        start = time.perf_counter()
        response = http.get(url, headers=headers)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200 or len(response.get_json()["items"]) == 0:
            raise BenchError(f"GET {url} answered {response.status_code}: {response.get_data(as_text=True)[:200]}")
        if n:  # the first call is not measured
            samples.append(elapsed)
    return statistics.median(samples)


def run(url: str, workers: int) -> tuple[list[Result], list[str]]:
    """The measures on the database at `url` (for bench/__main__.py's scenarios)."""
    app = make_app(url, WTF_CSRF_ENABLED=False)
    month = Month(add_months(local_today().replace(day=1), -1))
    notes: list[str] = []
    with app.app_context():
        if not month_locked(month):
            notes.append(add_professionals(month, workers))
        notes.append(lock_month(month))
        notes.append(give_accounts(month))
    vacuum_analyze(url)  # the whole database: seed-demo leaves the worker table's statistics stale
    with app.app_context():
        payroll, admin = _user("payroll1"), db.session.scalar(sa.select(User).where(User.role == "admin").limit(1))
        batch_s, payees = time_batches(month, payroll)
        results = [Result(f"payment batch, {payees:,} payees (median of {BATCH_RUNS})", batch_s, "s", BATCH_TARGET_S)]
        batch = payments.make_batch(month, payroll)  # kept for the files, rolled back after them
        db.session.flush()
        results += time_files(batch)
        pdf, note = time_statements(batch)
        results.append(pdf)
        notes.append(note)
        db.session.rollback()
        api_ms = time_api(app, month, admin)
        results.append(
            Result(f"API GET /api/runs/<month>/lines, 1,000 lines (median of {API_RUNS})", api_ms, "ms", API_TARGET_MS)
        )
    notes.append(f"month {month}; every batch made was rolled back")
    return results, notes
