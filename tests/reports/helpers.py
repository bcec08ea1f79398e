"""Members of a term built through the same services the app uses."""

import itertools
from datetime import date

from app.core.identity import make_id_number
from app.extensions import db
from app.workers import services as workers
from app.workers.education import Education, EducationLevel
from app.workers.models import PostType

_seq = itertools.count(500)


def number(birth: date, area: str = "500103", check: str | None = None) -> str:
    """A valid ID number born on `birth`; with check="X", one whose check character is X."""
    while True:
        candidate = make_id_number(area, birth, next(_seq) % 1000)
        if check is None or candidate.endswith(check):
            return candidate


def member(comm, birth: date, start: date, end: date | None = None, post=PostType.member, id_number=None):
    return workers.create_worker(
        id_number or number(birth, comm.code[:6]), "成员", None, workers.PostData(comm.id, post, start, end)
    )


def educate(worker, level: EducationLevel, obtained_on: date | None) -> None:
    db.session.add(Education(worker_id=worker.id, level=level, obtained_on=obtained_on))
    db.session.flush()
