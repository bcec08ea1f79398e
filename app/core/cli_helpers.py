"""What every command shares: run a file import all-or-nothing, act as a user, fail clearly."""

import sys
from collections.abc import Callable
from pathlib import Path

import click

from app.core.audit import acting_user_id
from app.core.tabular import FileRejected
from app.extensions import db


def fail(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(1)


# Set by the factory (accounts.services.user_by_username): core imports no domain.
find_user: Callable[[str], object | None] = lambda _username: None  # noqa: E731


def act_as(username: str | None):
    """Set the audit log's actor for this command; returns the user (or None)."""
    if not username:
        return None
    user = find_user(username)
    if user is None:
        fail(f"no such user: {username}")
    acting_user_id.set(user.id)
    return user


def run_file_import(path: str, plan_fn, apply_fn) -> dict:
    """Plan, print every bad row and exit 1, or apply and commit."""
    file = Path(path)
    if not file.is_file():
        fail(f"{path}: no such file")
    data = file.read_bytes()
    try:
        plan = plan_fn(file.name, data)
    except FileRejected as exc:
        fail(f"{path}: {exc.message}")
    if not plan.ok:
        db.session.rollback()
        for error in plan.errors:
            click.echo(str(error), err=True)
        fail(f"{path}: {len(plan.errors)} bad rows; nothing was written")
    counts = apply_fn(plan, file.name)
    db.session.commit()
    click.echo(", ".join(f"{label}: {value}" for label, value in plan.summary()))
    return counts
