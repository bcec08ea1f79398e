"""The posts file (DOMAIN.md): plan an import (validate every row, no writes), then apply it.

All or nothing: a plan with any error is never applied. Applying is set-based (bulk
statements), so 100,000 rows take seconds; one audit entry summarises the import.
Reading rows is posts_rows.py; checking them against the registry is posts_plan.py.
"""

import sqlalchemy as sa

from app.core import tabular
from app.core.audit import AuditAction, record
from app.core.bulk import insert_rows
from app.core.importing import register_scoped_import
from app.core.timeutil import utcnow
from app.extensions import db
from app.places.models import Community
from app.workers.models import PostPeriod, Worker
from app.workers.posts_plan import CHUNK, PostsPlan, check_overlaps, check_reach, diff, load_existing
from app.workers.posts_rows import POSTS_COLUMNS, check_within_file, parse_rows
from app.workers.services import refresh_current_posts

__all__ = ["POSTS_COLUMNS", "PostsPlan", "apply_posts_import", "plan_posts_import"]


def plan_posts_import(filename: str, data: bytes, allowed_districts: set[int] | None) -> PostsPlan:
    """Read and check the whole file; raises tabular.FileRejected when it cannot be read."""
    table = tabular.read_table(filename, data, POSTS_COLUMNS)
    plan = PostsPlan(total_rows=len(table.rows))
    communities = {
        code: (cid, did)
        for code, cid, did in db.session.execute(sa.select(Community.code, Community.id, Community.district_id))
    }
    rows = parse_rows(table, communities, allowed_districts, plan.errors)
    rows = check_within_file(rows, table, plan.errors)
    existing_workers, existing_periods = load_existing({r.id_number for r in rows})
    rows = check_reach(rows, existing_workers, allowed_districts, table, plan.errors)
    check_overlaps(rows, existing_workers, existing_periods, table, plan.errors)
    if plan.errors:
        plan.errors.sort(key=lambda e: e.row)
        return plan
    diff(rows, existing_workers, existing_periods, plan)
    return plan


def apply_posts_import(plan: PostsPlan, filename: str) -> dict:
    """Write a checked plan. Returns the counts shown to the user."""
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    now = utcnow()
    _write_workers(plan, now)
    new_ids = _write_periods(plan, now)
    _refresh_touched(plan, new_ids)
    counts = {
        "new_workers": len(plan.new_workers),
        "changed_workers": len(plan.changed_workers),
        "new_periods": len(plan.new_periods),
        "changed_periods": len(plan.changed_periods),
        "unchanged_rows": plan.unchanged_rows,
    }
    if plan.has_changes:
        record(
            AuditAction.import_,
            "worker",
            None,
            summary=f"posts import {filename}: " + ", ".join(f"{k}={v}" for k, v in counts.items()),
            after=counts,
        )
    return counts


def _write_workers(plan: PostsPlan, now) -> None:
    worker_table = Worker.__table__
    insert_rows(worker_table, [{**w, "created_at": now, "updated_at": now} for w in plan.new_workers])
    if plan.changed_workers:
        db.session.execute(
            worker_table.update()
            .where(worker_table.c.id == sa.bindparam("w_id"))
            .values(name=sa.bindparam("b_name"), phone=sa.bindparam("b_phone"), updated_at=now),
            plan.changed_workers,
        )


def _worker_ids(id_numbers: set[str]) -> dict[str, int]:
    ids: dict[str, int] = {}
    needed = sorted(id_numbers)
    for i in range(0, len(needed), CHUNK):
        ids.update(
            db.session.execute(
                sa.select(Worker.id_number, Worker.id).where(Worker.id_number.in_(needed[i : i + CHUNK]))
            ).all()
        )
    return ids


def _write_periods(plan: PostsPlan, now) -> dict[str, int]:
    """Insert the new periods and update the changed ones; returns the new periods' workers' ids
    by ID number."""
    period_table = PostPeriod.__table__
    ids = _worker_ids({p["id_number"] for p in plan.new_periods})
    new_periods = [
        {
            "worker_id": ids[p["id_number"]],
            "community_id": p["community_id"],
            "post_type": p["post_type"],
            "start_date": p["start_date"],
            "end_date": p["end_date"],
            "created_at": now,
            "updated_at": now,
        }
        for p in plan.new_periods
    ]
    insert_rows(period_table, new_periods)
    if plan.changed_periods:
        db.session.execute(
            period_table.update()
            .where(period_table.c.id == sa.bindparam("p_id"))
            .values(
                community_id=sa.bindparam("b_community"),
                post_type=sa.bindparam("b_post"),
                end_date=sa.bindparam("b_end"),
                updated_at=now,
            ),
            [
                {"p_id": p["p_id"], "b_community": p["community_id"], "b_post": p["post_type"], "b_end": p["end_date"]}
                for p in plan.changed_periods
            ],
        )
    return ids


def _refresh_touched(plan: PostsPlan, new_ids: dict[str, int]) -> None:
    """Copy the current post onto every worker the import touched (all of them, past 20,000)."""
    touched = set(new_ids.values()) | {w["w_id"] for w in plan.changed_workers}
    if plan.changed_periods:
        touched |= set(
            db.session.scalars(
                sa.select(PostPeriod.worker_id).where(PostPeriod.id.in_([p["p_id"] for p in plan.changed_periods]))
            )
        )
    if len(touched) > 20000:
        refresh_current_posts(None)
    elif touched:
        refresh_current_posts(sorted(touched))


register_scoped_import("posts", plan_posts_import, apply_posts_import, "workers.worker_list")
