"""The exams part of a worker's record page (registered with app/workers/record.py by the factory)."""

from datetime import date

from app.exams.levels import SUBJECTS
from app.exams.queries import exam_record
from app.workers.models import Worker
from app.workers.record import RecordSection


def exam_section(worker: Worker, today: date) -> RecordSection:
    return RecordSection("exams/_record.html", {"exam": exam_record(worker.id, today), "subjects": SUBJECTS})
