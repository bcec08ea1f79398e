"""The posts file checked against the registry (DOMAIN.md): who is already registered, which
rows the user may not write, which periods would overlap, and what would change. Writes nothing."""

from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.tabular import RowError
from app.extensions import db
from app.workers.models import PostPeriod, Worker
from app.workers.posts_rows import PostRow
from app.workers.services import find_overlap, out_of_reach_message

CHUNK = 2000


@dataclass
class PostsPlan:
    errors: list[RowError] = field(default_factory=list)
    new_workers: list[dict] = field(default_factory=list)
    changed_workers: list[dict] = field(default_factory=list)
    new_periods: list[dict] = field(default_factory=list)  # worker given by id_number until applied
    changed_periods: list[dict] = field(default_factory=list)
    unchanged_rows: int = 0
    total_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return bool(self.new_workers or self.changed_workers or self.new_periods or self.changed_periods)

    def summary(self) -> list[tuple[str, int]]:
        return [
            (_("Rows read"), self.total_rows),
            (_("New workers"), len(self.new_workers)),
            (_("Workers whose name or mobile changes"), len(self.changed_workers)),
            (_("New post periods"), len(self.new_periods)),
            (_("Post periods that change"), len(self.changed_periods)),
            (_("Rows already up to date"), self.unchanged_rows),
        ]


def load_existing(id_numbers: set[str]):
    workers: dict[str, tuple] = {}
    ids = sorted(id_numbers)
    for i in range(0, len(ids), CHUNK):
        for w in db.session.execute(
            sa.select(Worker.id_number, Worker.id, Worker.name, Worker.phone, Worker.district_id).where(
                Worker.id_number.in_(ids[i : i + CHUNK])
            )
        ):
            workers[w.id_number] = w
    periods: dict[int, list] = defaultdict(list)
    wids = sorted(w.id for w in workers.values())
    for i in range(0, len(wids), CHUNK):
        for p in db.session.execute(
            sa.select(
                PostPeriod.id,
                PostPeriod.worker_id,
                PostPeriod.community_id,
                PostPeriod.post_type,
                PostPeriod.start_date,
                PostPeriod.end_date,
            ).where(PostPeriod.worker_id.in_(wids[i : i + CHUNK]))
        ):
            periods[p.worker_id].append(p)
    return workers, periods


def check_reach(rows: list[PostRow], existing_workers, allowed: set[int] | None, table, errors) -> list[PostRow]:
    """A row about a registered worker outside the user's districts is refused, and the answer
    says no more than that: nothing of the worker's name, dates or district (issue #10).
    Returns the rows that may go on to be checked against the worker's record."""
    if allowed is None:
        return rows
    kept = []
    for r in rows:
        worker = existing_workers.get(r.id_number)
        if worker is not None and worker.district_id not in allowed:
            errors.append(RowError(r.row, table.label("id_number"), out_of_reach_message()))
        else:
            kept.append(r)
    return kept


def check_overlaps(rows, existing_workers, existing_periods, table, errors) -> None:
    by_person: dict[str, list[PostRow]] = defaultdict(list)
    for r in rows:
        by_person[r.id_number].append(r)
    for id_number, person_rows in by_person.items():
        starts_in_file = {r.start_date for r in person_rows}
        worker = existing_workers.get(id_number)
        kept = list(existing_periods.get(worker.id, [])) if worker else []
        kept = [p for p in kept if p.start_date not in starts_in_file]  # the file replaces these
        spans = [(r.start_date, r.end_date) for r in person_rows] + [(p.start_date, p.end_date) for p in kept]
        while (pair := find_overlap(spans)) is not None:
            a, b = sorted(pair)
            culprit = person_rows[b] if b < len(person_rows) else person_rows[a]
            other = b if culprit is person_rows[a] else a
            if other < len(person_rows):
                reason = _("the period overlaps the one in row %(row)d", row=person_rows[other].row)
            else:
                span = spans[other]
                reason = _(
                    "the period overlaps the registered post period from %(start)s to %(end)s",
                    start=span[0].isoformat(),
                    end=span[1].isoformat() if span[1] else _("now"),
                )
            errors.append(RowError(culprit.row, table.label("start_date"), reason))
            index = person_rows.index(culprit)
            person_rows = person_rows[:index] + person_rows[index + 1 :]
            spans = spans[:index] + spans[index + 1 :]


def diff(rows, existing_workers, existing_periods, plan: PostsPlan) -> None:
    done_workers: set[str] = set()
    for r in rows:
        worker = existing_workers.get(r.id_number)
        if r.id_number not in done_workers:
            done_workers.add(r.id_number)
            if worker is None:
                plan.new_workers.append(
                    {
                        "id_number": r.id_number,
                        "name": r.name,
                        "phone": r.phone,
                        "birth_date": r.birth_date,
                        "sex": r.sex,
                    }
                )
            elif worker.name != r.name or (r.phone and worker.phone != r.phone):
                plan.changed_workers.append({"w_id": worker.id, "b_name": r.name, "b_phone": r.phone or worker.phone})
        period_values = {
            "community_id": r.community_id,
            "post_type": r.post_type.name,
            "start_date": r.start_date,
            "end_date": r.end_date,
        }
        match = None
        if worker is not None:
            match = next((p for p in existing_periods.get(worker.id, []) if p.start_date == r.start_date), None)
        if match is None:
            plan.new_periods.append({"id_number": r.id_number, **period_values})
        elif (match.community_id, _post_name(match.post_type), match.end_date) != (
            r.community_id,
            r.post_type.name,
            r.end_date,
        ):
            plan.changed_periods.append({"p_id": match.id, **period_values})
        else:
            plan.unchanged_rows += 1


def _post_name(value) -> str:
    return value.name if hasattr(value, "name") else str(value)
