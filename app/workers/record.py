"""The parts that other domains add to a worker's record page ("my record" too).

A domain above workers (exams: results, qualifications, registration, CE) registers a section
here from the factory, so the workers domain shows it without importing that domain.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from app.workers.models import Worker


@dataclass
class RecordSection:
    template: str
    context: dict = field(default_factory=dict)


SectionFinder = Callable[[Worker, date], RecordSection | None]
SECTIONS: list[SectionFinder] = []


def register_section(finder: SectionFinder) -> None:
    if finder not in SECTIONS:
        SECTIONS.append(finder)


def sections_for(worker: Worker, today: date) -> list[RecordSection]:
    return [section for finder in SECTIONS if (section := finder(worker, today)) is not None]
