"""How the audit log names exam years, pass marks, results and qualifications
(see app/core/audit_text.py)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.audit_text import Subject, choice
from app.exams.levels import Level
from app.exams.models import QualificationSource, ReviewState

SOURCE = {
    QualificationSource.computed.value: _l("Worked out from results"),
    QualificationSource.imported.value: _l("Imported certificate"),
}
STATE = {
    ReviewState.pending.value: _l("Waiting"),
    ReviewState.matched.value: _l("Matched"),
    ReviewState.discarded.value: _l("Discarded"),
}


def _worker(v) -> str:
    return v.ref("worker_id").label


def _worker_page(v):
    return v.ref("worker_id").page("workers.worker_detail", worker_id=v.get("worker_id"))


def _year(v) -> str:
    return str(v.ref("exam_year_id").get("year", ""))


WORKER = {"worker_id": _l("Community worker")}

SUBJECTS = {
    "exam_year": Subject(
        noun=_l("Exam year"),
        name=lambda v: _("Exam year %(year)s", year=v.get("year", "")),
        fields={
            "year": _l("Year"),
            "exam_date": _l("Exam date"),
            "results_date": _l("Results date"),
            "registration_opens": _l("Exam registration opens"),
            "registration_closes": _l("Exam registration closes"),
        },
        link=lambda v: v.page("exams.year_edit", year_id=v.id),
    ),
    "pass_mark": Subject(
        noun=_l("Pass mark"),
        name=lambda v: _("%(year)s %(subject)s pass mark", year=_year(v), subject=v.get("subject", "")),
        fields={"exam_year_id": _l("Exam year"), "subject": _l("Subject"), "mark": _l("Pass mark")},
        refs={"exam_year_id": "exam_year"},
        link=lambda v: v.ref("exam_year_id").page("exams.year_edit", year_id=v.get("exam_year_id")),
    ),
    "exam_result": Subject(
        noun=_l("Exam result"),
        name=lambda v: _(
            "%(worker)s, %(year)s %(subject)s", worker=_worker(v), year=_year(v), subject=v.get("subject", "")
        ),
        fields={
            **WORKER,
            "exam_year_id": _l("Exam year"),
            "subject": _l("Subject"),
            "score": _l("Score"),
            "passed": _l("Passed"),
        },
        refs={"worker_id": "worker", "exam_year_id": "exam_year"},
        link=_worker_page,
    ),
    "senior_review": Subject(
        noun=_l("Senior review"),
        name=lambda v: _("%(worker)s, review of %(date)s", worker=_worker(v), date=v.get("review_date", "")),
        fields={**WORKER, "review_date": _l("Review date"), "passed": _l("Passed")},
        refs={"worker_id": "worker"},
        link=_worker_page,
    ),
    "qualification": Subject(
        noun=_l("Qualification"),
        name=lambda v: f"{_worker(v)}，{v.shown('level')}",
        fields={
            **WORKER,
            "level": _l("Level"),
            "obtained_on": _l("Obtained on"),
            "certificate_no": _l("Certificate number"),
            "source": _l("Source"),
            "evidence": _l("Evidence"),
        },
        words={"level": choice(Level), "source": lambda v: SOURCE[v]},
        refs={"worker_id": "worker"},
        link=_worker_page,
    ),
    "registration": Subject(
        noun=_l("Certificate registration"),
        name=lambda v: _(
            "%(worker)s, %(level)s registered on %(date)s",
            worker=_worker(v),
            level=v.shown("level"),
            date=v.get("registered_on", ""),
        ),
        fields={**WORKER, "level": _l("Level"), "registered_on": _l("Registered on"), "expires_on": _l("Valid until")},
        words={"level": choice(Level)},
        refs={"worker_id": "worker"},
        link=_worker_page,
    ),
    "ce_record": Subject(
        noun=_l("Continuing education"),
        name=lambda v: _("%(worker)s, continuing education on %(date)s", worker=_worker(v), date=v.get("date", "")),
        fields={
            **WORKER,
            "date": _l("Date"),
            "hours": _l("Hours"),
            "description": _l("Training or course attended"),
            "proof": _l("Proof (certificate or document number)"),
        },
        refs={"worker_id": "worker"},
        link=_worker_page,
    ),
    "review_item": Subject(noun=_l("Review queue row"), words={"state": lambda v: STATE[v]}),
    # Imports write one entry for the whole file (their kind's name, no record).
    "results": Subject(noun=_l("Exam results file")),
    "reviews": Subject(noun=_l("Senior reviews file")),
    "qualifications": Subject(noun=_l("Qualifications file")),
    "registrations": Subject(noun=_l("Registrations file")),
    "ce": Subject(noun=_l("Continuing education file")),
}
