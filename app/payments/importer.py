"""The bank accounts file (DOMAIN.md): id_number, name, bank, account_no, valid_from; key (id_number, valid_from).

All or nothing: every bad row is reported and a plan with any error is never applied. The holder
is the worker: the name column must equal the worker's registered name (the bank refuses a name
that differs). A row whose person is not among the importer's workers (unknown, or outside their
districts) gets the same answer either way.
"""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import tabular
from app.core.bulk import insert_rows
from app.core.identity import InvalidIdentity, parse_id_number
from app.core.importing import RowsPlan, register_scoped_import
from app.core.tabular import Column, RowError
from app.core.timeutil import utcnow
from app.extensions import db
from app.payments.cards import parse_card_number
from app.payments.models import Bank, BankAccount
from app.workers.models import Worker

ACCOUNT_COLUMNS = [
    Column("id_number", "身份证号"),
    Column("name", "姓名"),
    Column("bank", "开户行"),
    Column("account_no", "账号"),
    Column("valid_from", "启用日期"),
]
CHUNK = 2000


@dataclass
class AccountRow:
    row: int
    id_number: str
    name: str
    bank_id: int
    account_no: str
    valid_from: date
    worker_id: int | None = None


AccountPlan = RowsPlan  # the common shape (core/importing.py)


def plan_account_import(filename: str, data: bytes, allowed_districts: set[int] | None) -> AccountPlan:
    """Read and check the whole file, writing nothing; raises tabular.FileRejected when unreadable."""
    table = tabular.read_table(filename, data, ACCOUNT_COLUMNS)
    plan = AccountPlan(total_rows=len(table.rows))
    rows = _parse_rows(table, plan.errors)
    _resolve_workers(rows, allowed_districts, table, plan.errors)
    if plan.errors:
        plan.errors.sort(key=lambda e: e.row)
        return plan
    _diff(rows, plan)
    return plan


def _banks() -> dict[str, int]:
    found = {}
    for bank in db.session.scalars(sa.select(Bank)):
        found[bank.code.lower()] = found[bank.name] = bank.id
    return found


def _parse_rows(table, errors) -> list[AccountRow]:
    banks, rows, seen = _banks(), [], {}
    for number, raw in table.rows:
        bad = len(errors)
        id_number = name = bank_id = account_no = valid_from = None
        try:
            id_number = parse_id_number(tabular.code_text(raw.get("id_number"))).number
        except (InvalidIdentity, ValueError) as exc:
            errors.append(RowError(number, table.label("id_number"), str(exc)))
        try:
            name = tabular.text(raw.get("name"), max_length=64)
        except ValueError as exc:
            errors.append(RowError(number, table.label("name"), str(exc)))
        try:
            bank_text = tabular.text(raw.get("bank"), max_length=64)
            bank_id = banks.get(bank_text) or banks.get(bank_text.lower())
            if bank_id is None:
                raise ValueError(_("“%(value)s” is not a bank in the list of banks", value=bank_text[:40]))
        except ValueError as exc:
            errors.append(RowError(number, table.label("bank"), str(exc)))
        try:
            account_no = parse_card_number(tabular.code_text(raw.get("account_no")))
        except ValueError as exc:
            errors.append(RowError(number, table.label("account_no"), str(exc)))
        try:
            valid_from = tabular.parse_date(raw.get("valid_from"))
        except ValueError as exc:
            errors.append(RowError(number, table.label("valid_from"), str(exc)))
        if len(errors) > bad:
            continue
        key = (id_number, valid_from)
        if key in seen:
            message = _("the same record is already in row %(row)d", row=seen[key])
            errors.append(RowError(number, table.label("valid_from"), message))
            continue
        seen[key] = number
        rows.append(AccountRow(number, id_number, name, bank_id, account_no, valid_from))
    return rows


def _resolve_workers(rows: list[AccountRow], allowed: set[int] | None, table, errors) -> None:
    numbers = sorted({r.id_number for r in rows})
    found = {}
    for i in range(0, len(numbers), CHUNK):
        for w in db.session.execute(
            sa.select(Worker.id_number, Worker.id, Worker.name, Worker.district_id).where(
                Worker.id_number.in_(numbers[i : i + CHUNK])
            )
        ):
            found[w.id_number] = w
    for r in rows:
        worker = found.get(r.id_number)
        if worker is not None and (allowed is None or worker.district_id in allowed):
            if worker.name != r.name:
                message = _("the account holder must be the worker: the name differs from the registered name")
                errors.append(RowError(r.row, table.label("name"), message))
            else:
                r.worker_id = worker.id
        elif allowed is None:
            errors.append(RowError(r.row, table.label("id_number"), _("no worker with this ID number is registered")))
        else:
            errors.append(
                RowError(r.row, table.label("id_number"), _("this person is not among your districts' workers"))
            )


def _diff(rows: list[AccountRow], plan: AccountPlan) -> None:
    worker_ids = sorted({r.worker_id for r in rows})
    existing = {}
    for i in range(0, len(worker_ids), CHUNK):
        for a in db.session.execute(
            sa.select(BankAccount.worker_id, BankAccount.valid_from, BankAccount.bank_id, BankAccount.account_no).where(
                BankAccount.worker_id.in_(worker_ids[i : i + CHUNK])
            )
        ):
            existing[(a.worker_id, a.valid_from)] = (a.bank_id, a.account_no)
    for r in rows:
        key = (r.worker_id, r.valid_from)
        if key not in existing:
            plan.inserts.append(r)
        elif existing[key] != (r.bank_id, r.account_no):
            plan.updates.append(r)
        else:
            plan.unchanged += 1


def apply_account_import(plan: AccountPlan, filename: str) -> dict:
    """Write a checked plan; returns the counts shown to the user."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    now = utcnow()
    table = BankAccount.__table__
    insert_rows(
        table,
        [
            {
                "worker_id": r.worker_id,
                "bank_id": r.bank_id,
                "account_no": r.account_no,
                "valid_from": r.valid_from,
                "created_at": now,
                "updated_at": now,
            }
            for r in plan.inserts
        ],
    )
    if plan.updates:
        db.session.execute(
            table.update()
            .where(table.c.worker_id == sa.bindparam("b_worker"), table.c.valid_from == sa.bindparam("b_from"))
            .values(bank_id=sa.bindparam("b_bank"), account_no=sa.bindparam("b_no"), updated_at=now),
            [
                {"b_worker": r.worker_id, "b_from": r.valid_from, "b_bank": r.bank_id, "b_no": r.account_no}
                for r in plan.updates
            ],
        )
    return plan.applied("bank_account", "bank account", filename)


def register_account_import() -> None:
    """Called by the factory: the import pages and the job runner find the kind by its name."""
    register_scoped_import("bank_accounts", plan_account_import, apply_account_import, "payments.accounts")
