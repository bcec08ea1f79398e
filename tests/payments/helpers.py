"""Locked runs with given line amounts, and bank accounts, for the payments tests."""

import itertools
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from app.allowance.models import AllowanceLine, AllowanceRun, LineKind, RunState
from app.allowance.rules import Month
from app.extensions import db
from app.payments.cards import luhn_ok
from app.payments.models import Bank, BankAccount

_seq = itertools.count(1)


def card(prefix: str = "622202", length: int = 19) -> str:
    """A card number that passes the Luhn check (a fresh one each call)."""
    body = (prefix + f"{next(_seq):012d}")[: length - 1]
    body = body + "0" * (length - 1 - len(body))
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def locked_run(month: Month, amounts: dict, state: RunState = RunState.locked) -> AllowanceRun:
    """A run in `state` whose lines are {worker: amount or [amounts]} (the first an allowance line,
    the others arrears lines correcting earlier months)."""
    run = AllowanceRun(month=month.first, state=state)
    db.session.add(run)
    db.session.flush()
    for worker, value in amounts.items():
        values = value if isinstance(value, list) else [value]
        for i, amount in enumerate(values):
            db.session.add(
                AllowanceLine(
                    run_id=run.id,
                    worker_id=worker.id,
                    kind=LineKind.allowance if i == 0 else LineKind.arrears,
                    corrects_month=month.shift(-i).first,
                    part_district_id=worker.district_id,
                    district_id=worker.district_id,
                    days_in_month=month.days,
                    amount=Decimal(amount),
                    formula="test",
                )
            )
    db.session.flush()
    return run


def bank(code: str = "102") -> Bank:
    return db.session.scalar(sa.select(Bank).where(Bank.code == code))


def account(worker, valid_from: date, number: str | None = None, code: str = "102") -> BankAccount:
    acc = BankAccount(worker_id=worker.id, bank_id=bank(code).id, account_no=number or card(), valid_from=valid_from)
    db.session.add(acc)
    db.session.flush()
    return acc
