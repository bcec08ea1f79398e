"""Writes for exams, qualifications, registrations and CE. Flush, never commit."""

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.services import ServiceError
from app.exams import engine
from app.exams.levels import SUBJECTS, Level
from app.exams.models import CERecord, ExamResult, ExamYear, PassMark, Qualification, Registration, SeniorReview
from app.exams.qualify import recompute_qualifications
from app.exams.rules import DEFAULT_PASS_MARK, passes
from app.extensions import db

# ---- exam years ----


def save_exam_year(
    year: int,
    results_date: date,
    exam_date: date | None = None,
    registration_opens: date | None = None,
    registration_closes: date | None = None,
    pass_marks: dict[str, Decimal] | None = None,
    exam_year: ExamYear | None = None,
) -> ExamYear:
    """Set up (or change) an exam year; a changed pass mark or results date re-judges its results."""
    _check_year_free(year, exam_year)
    _check_dates(results_date, exam_date, registration_opens, registration_closes)
    marks = _pass_marks(pass_marks or {})
    if exam_year is None:
        exam_year = ExamYear(year=year, results_date=results_date)
        db.session.add(exam_year)
    old_marks = {m.subject: m.mark for m in exam_year.pass_marks}
    old_results_date = exam_year.results_date
    exam_year.year, exam_year.results_date, exam_year.exam_date = year, results_date, exam_date
    exam_year.registration_opens, exam_year.registration_closes = registration_opens, registration_closes
    _set_pass_marks(exam_year, marks)
    db.session.flush()
    if exam_year.id and (old_marks and old_marks != marks or old_results_date != results_date):
        _repass_year(exam_year)
    return exam_year


def _check_year_free(year: int, exam_year: ExamYear | None) -> None:
    if not 1990 <= year <= 2100:
        raise ServiceError(_("Give a year between 1990 and 2100."), "year")
    clash = db.session.scalar(
        sa.select(ExamYear.id).where(ExamYear.year == year, ExamYear.id != (exam_year.id if exam_year else 0))
    )
    if clash:
        raise ServiceError(_("The exam year %(year)d is already set up.", year=year), "year")


def _check_dates(results_date: date, exam_date: date | None, opens: date | None, closes: date | None) -> None:
    if exam_date and results_date < exam_date:
        raise ServiceError(_("The results date cannot be before the exam date."), "results_date")
    if opens and closes and closes < opens:
        raise ServiceError(_("The registration window cannot close before it opens."), "registration_closes")


def _pass_marks(given: dict[str, Decimal]) -> dict[str, Decimal]:
    """Every subject's mark: the one given, else the default."""
    marks = dict.fromkeys(SUBJECTS, DEFAULT_PASS_MARK)
    for code, mark in given.items():
        if code not in SUBJECTS:
            raise ServiceError(_("Unknown subject %(code)s.", code=code), "pass_marks")
        if not Decimal(0) < mark <= Decimal(100) or mark != mark.quantize(Decimal("0.1")):
            raise ServiceError(_("A pass mark is between 0 and 100 with at most one decimal."), "pass_marks")
        marks[code] = mark
    return marks


def _set_pass_marks(exam_year: ExamYear, marks: dict[str, Decimal]) -> None:
    existing = {m.subject: m for m in exam_year.pass_marks}
    for code, mark in marks.items():
        if code in existing:
            existing[code].mark = mark
        else:
            exam_year.pass_marks.append(PassMark(subject=code, mark=mark))


def _repass_year(exam_year: ExamYear) -> None:
    """A pass mark or date changed: re-judge that year's results and recompute who is affected."""
    for mark in exam_year.pass_marks:
        db.session.execute(
            sa.update(ExamResult)
            .where(ExamResult.exam_year_id == exam_year.id, ExamResult.subject == mark.subject)
            .values(passed=passes(ExamResult.score, mark.mark))
            .execution_options(synchronize_session=False)
        )
    workers = list(
        db.session.scalars(sa.select(ExamResult.worker_id).where(ExamResult.exam_year_id == exam_year.id).distinct())
    )
    recompute_qualifications(workers)


def exam_year_by_number(year: int) -> ExamYear | None:
    return db.session.scalar(sa.select(ExamYear).where(ExamYear.year == year))


# ---- results ----


def check_score(raw) -> Decimal:
    score = Decimal(str(raw))
    if not score.is_finite() or not Decimal(0) <= score <= Decimal(100) or score != score.quantize(Decimal("0.1")):
        raise ServiceError(_("A score is between 0 and 100 with at most one decimal."), "score")
    return score.quantize(Decimal("0.1"))


def enter_result(worker_id: int, exam_year: ExamYear, subject: str, score: Decimal) -> ExamResult:
    """One result typed in by a coordinator; qualifications follow at once."""
    if subject not in SUBJECTS:
        raise ServiceError(_("Unknown subject %(code)s.", code=subject), "subject")
    score = check_score(score)
    result = db.session.scalar(
        sa.select(ExamResult).where(
            ExamResult.worker_id == worker_id, ExamResult.exam_year_id == exam_year.id, ExamResult.subject == subject
        )
    )
    passed = passes(score, exam_year.pass_mark(subject))
    if result is None:
        result = ExamResult(worker_id=worker_id, exam_year_id=exam_year.id, subject=subject, score=score, passed=passed)
        db.session.add(result)
    else:
        result.score, result.passed = score, passed
    db.session.flush()
    recompute_qualifications([worker_id])
    return result


def delete_result(result: ExamResult) -> None:
    worker_id = result.worker_id
    db.session.delete(result)
    db.session.flush()
    recompute_qualifications([worker_id])


def save_review(worker_id: int, review_date: date, passed: bool) -> SeniorReview:
    review = db.session.scalar(
        sa.select(SeniorReview).where(SeniorReview.worker_id == worker_id, SeniorReview.review_date == review_date)
    )
    if review is None:
        review = SeniorReview(worker_id=worker_id, review_date=review_date, passed=passed)
        db.session.add(review)
    else:
        review.passed = passed
    db.session.flush()
    recompute_qualifications([worker_id])
    return review


# ---- certificates, registrations, CE ----


def set_certificate_no(qualification: Qualification, certificate_no: str) -> Qualification:
    certificate_no = (certificate_no or "").strip()
    if len(certificate_no) > 40:
        raise ServiceError(_("A certificate number has at most 40 characters."), "certificate_no")
    qualification.certificate_no = certificate_no or None
    db.session.flush()
    return qualification


def default_expiry(registered_on: date) -> date:
    return engine.add_years(registered_on, 3) - timedelta(days=1)


def add_registration(worker_id: int, level: Level, registered_on: date, expires_on: date | None = None) -> Registration:
    qualification = db.session.scalar(
        sa.select(Qualification).where(Qualification.worker_id == worker_id, Qualification.level == level)
    )
    if qualification is None:
        raise ServiceError(_("The worker holds no %(level)s qualification to register.", level=level.label), "level")
    if registered_on < qualification.obtained_on:
        raise ServiceError(
            _(
                "A certificate cannot be registered before it is obtained (%(date)s).",
                date=qualification.obtained_on.isoformat(),
            ),
            "registered_on",
        )
    expires_on = expires_on or default_expiry(registered_on)
    if expires_on < registered_on:
        raise ServiceError(_("The registration cannot expire before it starts."), "expires_on")
    if db.session.scalar(
        sa.select(Registration.id).where(
            Registration.worker_id == worker_id,
            Registration.level == level,
            Registration.registered_on == registered_on,
        )
    ):
        raise ServiceError(_("This registration is already recorded."), "registered_on")
    registration = Registration(worker_id=worker_id, level=level, registered_on=registered_on, expires_on=expires_on)
    db.session.add(registration)
    db.session.flush()
    return registration


def add_ce_record(worker_id: int, day: date, hours: Decimal, description: str, proof: str) -> CERecord:
    description, proof = (description or "").strip(), (proof or "").strip()
    if not description:
        raise ServiceError(_("Describe the training."), "description")
    if not proof:
        raise ServiceError(_("CE hours count only with proof: give a certificate or document number."), "proof")
    if not Decimal(0) < hours <= Decimal(200) or hours != hours.quantize(Decimal("0.1")):
        raise ServiceError(_("Hours are more than 0 and at most 200, with at most one decimal."), "hours")
    if db.session.scalar(
        sa.select(CERecord.id).where(
            CERecord.worker_id == worker_id, CERecord.date == day, CERecord.description == description
        )
    ):
        raise ServiceError(_("This record is already there."), "description")
    ce = CERecord(worker_id=worker_id, date=day, hours=hours, description=description[:200], proof=proof[:200])
    db.session.add(ce)
    db.session.flush()
    return ce
