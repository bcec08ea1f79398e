"""Imports from a page: upload → preview (every bad row) → confirm → a Celery job applies it.

Each kind of file registers a planner (reads and checks, writes nothing) and an applier.
The job re-plans before applying, so a file that went bad since the preview writes nothing.
"""

import enum
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import Mapped, mapped_column

from app.core.access import district_scope
from app.core.audit import AuditAction, acting_user_id, record
from app.core.models import TimestampMixin, UTCDateTime
from app.core.tabular import FileRejected, RowError
from app.core.timeutil import utcnow
from app.extensions import db


@dataclass(frozen=True)
class ImportKind:
    name: str
    plan: Callable  # (filename, data, user) -> plan with .errors/.ok/.has_changes
    apply: Callable  # (plan, filename) -> dict of counts
    done_endpoint: str


@dataclass
class RowsPlan:
    """What an import that adds and changes rows of one kind will do (the preview's figures)."""

    errors: list[RowError] = field(default_factory=list)
    inserts: list = field(default_factory=list)
    updates: list = field(default_factory=list)
    unchanged: int = 0
    total_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return bool(self.inserts or self.updates)

    def applied(self, entity: str, what: str, filename: str) -> dict:
        """The figures of an applied import, written to the audit log when it changed anything."""
        counts = {"new": len(self.inserts), "changed": len(self.updates), "unchanged": self.unchanged}
        if self.has_changes:
            record(AuditAction.import_, entity, None, summary=f"{what} import {filename}", after=counts)
        return counts

    def summary(self) -> list[tuple[str, int]]:
        return [
            (_("Rows read"), self.total_rows),
            (_("New records"), len(self.inserts)),
            (_("Records that change"), len(self.updates)),
            (_("Rows already up to date"), self.unchanged),
        ]


KINDS: dict[str, ImportKind] = {}


def register_import(kind: ImportKind) -> None:
    KINDS[kind.name] = kind


def register_scoped_import(name: str, plan: Callable, apply: Callable, done_endpoint: str) -> None:
    """An import kind whose rows must lie in the importing user's districts:
    `plan(filename, data, allowed_district_ids)`."""
    register_import(
        ImportKind(
            name=name,
            plan=lambda filename, data, user: plan(filename, data, district_scope(user)),
            apply=apply,
            done_endpoint=done_endpoint,
        )
    )


class JobState(str, enum.Enum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class ImportJob(TimestampMixin, db.Model):
    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    filename: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    token: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    state: Mapped[JobState] = mapped_column(
        sa.Enum(JobState, native_enum=False, length=16), nullable=False, default=JobState.queued
    )
    counts: Mapped[dict | None] = mapped_column(sa.JSON)
    errors: Mapped[list | None] = mapped_column(sa.JSON)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # For the reaper (app/core/reaper.py): when the job was last queued, when a worker last took
    # it, and how many times one did.
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0, server_default="0")
    # named, not imported: core sits below the accounts domain
    user = db.relationship("User", lazy="joined")

    def __repr__(self) -> str:
        return f"<ImportJob {self.kind} {self.state.value}>"


# ---- staged uploads: kept on disk between the preview and the confirm ----

_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _upload_dir() -> Path:
    path = Path(current_app.config["UPLOAD_DIR"])
    path.mkdir(parents=True, exist_ok=True)
    return path


def stage_upload(kind: str, filename: str, data: bytes, user_id: int) -> str:
    token = secrets.token_hex(16)
    (_upload_dir() / f"{token}.bin").write_bytes(data)
    (_upload_dir() / f"{token}.json").write_text(json.dumps({"kind": kind, "filename": filename, "user_id": user_id}))
    return token


def load_upload(token: str, kind: str, user_id: int) -> tuple[str, bytes] | None:
    """The staged file, only for the user and the kind that staged it."""
    if not _TOKEN.match(token or ""):
        return None
    meta_path, data_path = _upload_dir() / f"{token}.json", _upload_dir() / f"{token}.bin"
    if not meta_path.exists() or not data_path.exists():
        return None
    meta = json.loads(meta_path.read_text())
    if meta["kind"] != kind or meta["user_id"] != user_id:
        return None
    return meta["filename"], data_path.read_bytes()


def discard_upload(token: str) -> None:
    if _TOKEN.match(token or ""):
        for suffix in (".bin", ".json"):
            (_upload_dir() / f"{token}{suffix}").unlink(missing_ok=True)


def purge_old_uploads(max_age_seconds: int = 24 * 3600) -> int:
    removed, cutoff = 0, time.time() - max_age_seconds
    for path in _upload_dir().iterdir():
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def _locked_job(job_id: int) -> ImportJob | None:
    """The job, its row locked until the next commit; None when another worker holds it (on
    PostgreSQL): a second copy of its message then leaves it to that worker, and if that worker
    dies the reaper sends the job again."""
    return db.session.scalar(
        sa.select(ImportJob)
        .where(ImportJob.id == job_id)
        .with_for_update(skip_locked=True, of=ImportJob)
        .execution_options(populate_existing=True)
    )


def run_import_job(job_id: int) -> ImportJob:
    """Apply a confirmed import (called by the Celery task). Commits.

    The worker records that it took the job, then holds the job's row locked while it applies
    the file: on PostgreSQL the lock shows the reaper that the job is alive, and goes with the
    worker's connection if the worker dies (app/core/reaper.py)."""
    job = _locked_job(job_id)
    if job is None or job.state in (JobState.done, JobState.failed):  # missing, another worker's, or finished
        db.session.commit()
        return job or db.session.get(ImportJob, job_id)
    job.state, job.claimed_at, job.attempts = JobState.running, utcnow(), job.attempts + 1
    db.session.commit()
    job = _locked_job(job_id)
    if job is None or job.state != JobState.running:  # another worker holds it, or finished it meanwhile
        db.session.commit()
        return job or db.session.get(ImportJob, job_id)
    user = job.user
    staged = load_upload(job.token, job.kind, job.user_id)
    reset = acting_user_id.set(job.user_id)
    try:
        if staged is None or user is None:
            raise FileRejected("The uploaded file is no longer available; please upload it again.")
        filename, data = staged
        kind = KINDS[job.kind]
        plan = kind.plan(filename, data, user)
        if not plan.ok:
            db.session.rollback()
            job.state, job.errors = JobState.failed, [str(e) for e in plan.errors[:1000]]
        else:
            job.counts = kind.apply(plan, filename)
            job.state = JobState.done
        job.finished_at = utcnow()
        db.session.commit()
        discard_upload(job.token)
    except FileRejected as exc:
        db.session.rollback()
        job = db.session.get(ImportJob, job_id)
        job.state, job.errors, job.finished_at = JobState.failed, [exc.message], utcnow()
        db.session.commit()
    finally:
        acting_user_id.reset(reset)
    return job
