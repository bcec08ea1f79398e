"""The whole month on PostgreSQL over several connections at once (`flask allowance compute --jobs N`).

One statement runs on one database backend, which uses one core; a database server has several.
The run's parts are split into N groups of about as many workers each, and each group is computed
by the same set-based statement (sql_month.py) on its own connection, in its own transaction, as
Celery computes parts: a group that fails leaves its parts not done and nothing half-written, and
computing again gives the same lines. The lines are the same as one statement's (a test compares
them); only the wall time changes.
"""

from concurrent.futures import ThreadPoolExecutor, as_completed

import sqlalchemy as sa
from flask import current_app

from app.allowance import compute
from app.allowance.models import AllowanceRunPart
from app.extensions import db
from app.workers.models import Worker


def compute_month(run_id: int, jobs: int, progress=None) -> int:
    """Replace every part's lines of a draft run, `jobs` groups of parts at once; each group is
    committed when it is done. Returns how many lines were written. `progress(n)` is told of each
    n parts done. An error in a group is raised once the others have finished."""
    groups = _groups(run_id, jobs)
    db.session.commit()  # the parts' rows are locked by the groups' own transactions, not this one
    app = current_app._get_current_object()
    count, failure = 0, None
    with ThreadPoolExecutor(max_workers=len(groups)) as pool:
        futures = {pool.submit(_compute_group, app, run_id, group): group for group in groups}
        for future in as_completed(futures):
            try:
                count += future.result()
            except Exception as exc:  # the other groups finish first; then it is raised
                failure = failure or exc
                continue
            if progress:
                progress(len(futures[future]))
    if failure is not None:
        raise failure
    return count


def _compute_group(app, run_id: int, districts: list[int | None]) -> int:
    with app.app_context():  # an app context of its own: a session and a connection of its own
        try:
            count = compute.compute_parts(run_id, districts, lock_run=False)
            db.session.commit()
            return count
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def _groups(run_id: int, jobs: int) -> list[list[int | None]]:
    """The run's parts in at most `jobs` groups of about as many workers each (the largest part
    first, each to the group with the fewest workers so far)."""
    parts = db.session.scalars(sa.select(AllowanceRunPart.district_id).where(AllowanceRunPart.run_id == run_id)).all()
    sizes = dict(db.session.execute(sa.select(Worker.district_id, sa.func.count()).group_by(Worker.district_id)).all())
    groups: list[tuple[int, list[int | None]]] = [(0, []) for _ in range(max(1, min(jobs, len(parts))))]
    for district_id in sorted(parts, key=lambda d: -sizes.get(d, 0)):
        size, members = min(groups, key=lambda g: g[0])
        groups.remove((size, members))
        groups.append((size + sizes.get(district_id, 0), [*members, district_id]))
    return [members for _size, members in groups if members]
