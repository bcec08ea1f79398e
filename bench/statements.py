"""`python -m bench.statements`: how long a district's statements PDF (工资条, a page per worker) takes.

Needs a database with a payment batch (e.g. a copy of the allowance bench's database, then
`flask payments batch YYYY-MM --as payroll1`). Measures, in this process:
- the page payroll uses: GET /payments/batches/<month>/districts/<id>/statements.pdf for the
  district with the most workers in the batch, signed in as payroll1 (city-wide);
- ~3,000 pages (the issue's figure, target < 60 s): the batch's first N rows in district and name
  order, read (statements.build) and rendered (statement_pdf.render) as one PDF.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/socialwork_bench_statements SECRET_KEY=bench \\
        .venv/bin/python -m bench.statements --month 2025-11 --pages 3000
"""

import argparse
import io
import time

import sqlalchemy as sa
from pypdf import PdfReader

from app import create_app
from app.accounts.models import User
from app.allowance.rules import Month
from app.extensions import db
from app.payments import queries, statement_pdf, statements
from app.payments.models import PaymentLine
from bench.scenario import _logged_in


def _report(what: str, content: bytes, seconds: float, cpu: float) -> None:
    pages = len(PdfReader(io.BytesIO(content)).pages)
    print(f"{what}: {pages:,} pages, {len(content) / 1e6:.1f} MB in {seconds:.2f} s ({cpu:.2f} s of CPU)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.statements", description=__doc__.splitlines()[0])
    parser.add_argument("--month", required=True, help="a month with a payment batch (YYYY-MM)")
    parser.add_argument("--pages", type=int, default=3000)
    args = parser.parse_args()
    app = create_app("development", WTF_CSRF_ENABLED=False)  # DATABASE_URL from the environment
    with app.app_context():
        batch = queries.batch_for(Month.parse(args.month))
        if batch is None:
            raise SystemExit(f"{args.month}: no batch; make it: flask payments batch {args.month} --as payroll1")
        district_id, count = db.session.execute(
            sa.select(PaymentLine.district_id, sa.func.count())
            .where(PaymentLine.batch_id == batch.id, PaymentLine.district_id.is_not(None))
            .group_by(PaymentLine.district_id)
            .order_by(sa.func.count().desc())
            .limit(1)
        ).one()
        payroll = db.session.scalar(sa.select(User).where(User.username == "payroll1"))
        rows = list(
            db.session.scalars(
                sa.select(PaymentLine)
                .where(PaymentLine.batch_id == batch.id)
                .order_by(PaymentLine.district_id, PaymentLine.holder_name)
                .limit(args.pages)
            )
        )
    client = _logged_in(app, payroll.username)
    start, cpu = time.perf_counter(), time.process_time()
    response = client.get(f"/payments/batches/{args.month}/districts/{district_id}/statements.pdf")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    if response.status_code != 200:
        raise SystemExit(f"the district's PDF answered {response.status_code}")
    _report(f"the page, the largest district ({count:,} workers)", response.data, seconds, cpu)
    with app.test_request_context():
        start, cpu = time.perf_counter(), time.process_time()
        content = statement_pdf.render(statements.build(batch, rows))
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    _report(f"{len(rows):,} statements read and rendered", content, seconds, cpu)


if __name__ == "__main__":
    main()
