"""Results through the services and imports: pass marks, queueing, idempotence, all-or-nothing."""

from datetime import date
from decimal import Decimal

import pytest

from app.core.services import ServiceError
from app.exams import importers, queue, services
from app.exams.levels import Level
from app.exams.models import ExamResult, Qualification, QualificationSource, ReviewItem, ReviewState
from app.extensions import db
from tests import factories as f


@pytest.fixture
def years(app_ctx):
    y2023 = services.save_exam_year(2023, date(2023, 12, 22), date(2023, 10, 28))
    y2024 = services.save_exam_year(2024, date(2024, 12, 20), date(2024, 10, 26), pass_marks={"A1": Decimal("55")})
    return y2023, y2024


@pytest.fixture
def worker(app_ctx):
    return f.worker(f.community("500103"))


def _levels(worker):
    return {q.level: q for q in db.session.query(Qualification).filter_by(worker_id=worker.id)}


def test_a_score_equal_to_the_pass_mark_passes_and_59_5_fails(years, worker):
    assert services.enter_result(worker.id, years[0], "A2", Decimal("60")).passed
    assert not services.enter_result(worker.id, years[0], "A1", Decimal("59.5")).passed


def test_a_year_specific_lower_pass_mark_applies_only_to_its_year(years, worker):
    assert services.enter_result(worker.id, years[1], "A1", Decimal("56")).passed
    assert not services.enter_result(worker.id, years[0], "A1", Decimal("56")).passed


def test_scores_out_of_range_or_with_two_decimals_are_refused(years, worker):
    for bad in ("100.5", "-1", "60.25"):
        with pytest.raises(ServiceError):
            services.enter_result(worker.id, years[0], "A1", Decimal(bad))
    assert db.session.query(ExamResult).count() == 0


def test_qualification_follows_results_and_disappears_when_a_result_goes(years, worker):
    services.enter_result(worker.id, years[1], "A1", Decimal("70"))
    result = services.enter_result(worker.id, years[1], "A2", Decimal("61"))
    q = _levels(worker)[Level.assistant]
    assert q.obtained_on == date(2024, 12, 20) and q.source == QualificationSource.computed
    services.delete_result(result)
    assert Level.assistant not in _levels(worker)


def test_raising_a_pass_mark_rejudges_the_year_and_recomputes(years, worker, app_ctx):
    services.enter_result(worker.id, years[1], "A1", Decimal("70"))
    services.enter_result(worker.id, years[1], "A2", Decimal("61"))
    services.save_exam_year(
        2024, date(2024, 12, 20), date(2024, 10, 26), pass_marks={"A2": Decimal("62")}, exam_year=years[1]
    )
    assert Level.assistant not in _levels(worker)
    assert not db.session.query(ExamResult).filter_by(subject="A2").one().passed


def test_an_imported_certificate_is_never_touched_by_the_engine(years, worker):
    plan = importers.plan_import(
        importers.KINDS["qualifications"],
        "q.csv",
        f"身份证号,等级,证书编号,取得日期\n{worker.id_number},助理社会工作师,Z-001,2019-06-30\n".encode(),
    )
    importers.apply_import(importers.KINDS["qualifications"], plan, "q.csv")
    services.enter_result(worker.id, years[1], "A1", Decimal("70"))
    q = _levels(worker)[Level.assistant]
    assert q.source == QualificationSource.imported and q.obtained_on == date(2019, 6, 30)


HEADER = "身份证号,姓名,考试年度,科目,成绩"


def _import(kind, text):
    k = importers.KINDS[kind]
    plan = importers.plan_import(k, f"{kind}.csv", text.encode("utf-8"))
    if plan.ok:
        importers.apply_import(k, plan, f"{kind}.csv")
    return plan


def test_results_import_with_lower_case_x_chinese_subjects_and_unknown_ids_queued(years, app_ctx):
    comm = f.community("500103")
    w = f.worker(comm, number="11010519491231002X")
    stranger = f.id_number("500104")
    plan = _import(
        "results",
        "\n".join(
            [
                HEADER,
                f"{w.id_number.lower()},{w.name},2024,社会工作综合能力(初级),70",
                f"{w.id_number},{w.name},2024,A2,60.5",
                f"{stranger},陌生人,2024,A1,80",
            ]
        ),
    )
    assert plan.ok, plan.errors
    assert Level.assistant in _levels(w)
    item = db.session.query(ReviewItem).one()
    assert item.id_number == stranger and item.state == ReviewState.pending
    from app.workers.models import Worker

    assert db.session.query(Worker).filter_by(id_number=stranger).count() == 0  # never created


def test_reimporting_the_same_results_file_changes_nothing(years, worker):
    text = "\n".join([HEADER, f"{worker.id_number},x,2024,A1,70", f"{f.id_number()},y,2024,A1,70"])
    first = _import("results", text)
    assert len(first.inserts) == 1 and len(first.queue_new) == 1
    again = importers.plan_import(importers.KINDS["results"], "r.csv", text.encode())
    assert again.ok and not again.has_changes


def test_one_bad_row_writes_nothing_and_is_named_with_its_column(years, worker):
    plan = _import(
        "results",
        "\n".join(
            [
                HEADER,
                f"{worker.id_number},x,2024,A1,70",
                f"{worker.id_number},x,2024,A2,seventy",
                f"{worker.id_number},x,2031,A1,70",
                f"{worker.id_number},x,2024,Z9,70",
            ]
        ),
    )
    found = [(e.row, e.column.split(" (")[1].rstrip(")")) for e in plan.errors]
    assert found == [(3, "score"), (4, "year"), (5, "subject")]
    assert db.session.query(ExamResult).count() == 0


def test_matching_a_queued_row_applies_it_and_discarding_drops_it(years, worker):
    stranger = f.id_number("500104")
    _import("results", "\n".join([HEADER, f"{stranger},x,2024,A1,70", f"{stranger},x,2024,A2,70"]))
    first, second = db.session.query(ReviewItem).order_by(ReviewItem.id).all()
    queue.match(first, worker)
    queue.discard(second)
    assert db.session.query(ExamResult).filter_by(worker_id=worker.id, subject="A1").one().score == Decimal("70")
    assert db.session.query(ExamResult).filter_by(subject="A2").count() == 0
    with pytest.raises(ServiceError):
        queue.match(second, worker)


def test_senior_via_reviews_import(years, worker, app_ctx):
    y2022 = services.save_exam_year(2022, date(2022, 12, 20), date(2022, 10, 15))
    services.enter_result(worker.id, y2022, "S1", Decimal("66"))
    _import("reviews", f"身份证号,评审日期,评审结果\n{worker.id_number},2025-11-01,通过\n")
    assert Level.senior not in _levels(worker)  # more than 3 years after the 2022 exam
    _import("reviews", f"身份证号,评审日期,评审结果\n{worker.id_number},2025-06-01,通过\n")
    assert _levels(worker)[Level.senior].obtained_on == date(2025, 6, 1)
