"""What every exam file kind shares: the rows read, the plan of an import, the changes to write,
and a kind's description (its columns and the three things that differ between kinds: how a row
is read, what is already recorded, how changes are written)."""

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _

from app.core.tabular import Column, RowError

CHUNK = 2000  # ids per query: a chunk of workers at a time keeps memory and statements small
ID = Column("id_number", "身份证号")
NAME = Column("name", "姓名", required=False)


def chunks(items: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class Row:
    row: int
    id_number: str
    name: str
    key: str  # the record's identity within its kind and worker, e.g. "2024:A1"
    payload: dict  # what the record says, as JSON-able values (also stored in the review queue)
    worker_id: int | None = None


@dataclass
class Changes:
    """The records one file (or one matched queue row) adds and changes for known workers."""

    inserts: list[Row]
    updates: list[Row]
    filename: str

    @property
    def worker_ids(self) -> list[int]:
        return [r.worker_id for r in self.inserts + self.updates]


@dataclass
class Plan:
    kind: str
    errors: list[RowError] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    inserts: list[Row] = field(default_factory=list)
    updates: list[Row] = field(default_factory=list)
    unchanged: int = 0
    queue_new: list[Row] = field(default_factory=list)
    queue_changed: list[Row] = field(default_factory=list)
    queue_unchanged: int = 0
    importer_id: int | None = None  # whose review queue the unknown rows go to

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return bool(self.inserts or self.updates or self.queue_new or self.queue_changed)

    def summary(self) -> list[tuple[str, int]]:
        return [
            (_("Rows read"), len(self.rows) + len({e.row for e in self.errors})),
            (_("New records"), len(self.inserts)),
            (_("Records that change"), len(self.updates)),
            (_("Rows already up to date"), self.unchanged + self.queue_unchanged),
            (
                _("Rows of people not among your workers (to the review queue)"),
                len(self.queue_new) + len(self.queue_changed),
            ),
        ]


RowReader = Callable[[dict], tuple[str, dict]]  # raw cells -> (key, payload); raises CellError
Problem = tuple[Row, str, str]  # (row, column, message)


def _no_problems(_rows: list[Row]) -> list[Problem]:
    return []


def _no_objection(_row: Row) -> None:
    return None


@dataclass(frozen=True)
class Kind:
    name: str
    columns: list[Column]
    # Called once per file: loads what reading a row needs, and returns the row reader.
    reader: Callable[[], RowReader]
    # (worker_ids, at most CHUNK) -> {(worker_id, key): payload} of what is recorded now
    existing: Callable[[Sequence[int]], dict]
    write: Callable[[Changes], None]
    # Rules about the workers found (after their rows were read): one problem per bad row.
    check_known: Callable[[list[Row]], list[Problem]] = _no_problems
    # A coordinator matches a queued row to a worker: raise ServiceError if it cannot apply.
    check_match: Callable[[Row], None] = _no_objection
