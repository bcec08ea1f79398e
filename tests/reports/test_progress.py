"""Talent-plan progress: distinct workers per track and Beijing year, the target, certified
workers by level and district at a year's end, exam pass rates; scope, "as of" and the files."""

import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.core.access import Role
from app.exams.levels import Level
from app.exams.models import Qualification, QualificationSource
from app.extensions import db
from app.reports import progress_queries as queries
from app.reports import progress_services
from app.reports.progress import Target, year_end
from app.training.models import (
    Course,
    Enrolment,
    EnrolmentState,
    Meeting,
    SessionStatus,
    Track,
    TrainingSession,
)
from app.workers import services as workers
from app.workers.models import PostType
from tests import factories as f
from tests.factories import login, post

_AT = datetime(2020, 1, 1, tzinfo=UTC)


def _course(track: Track) -> Course:
    c = Course(track=track, title=f"{track.value} 课程", credit_hours=Decimal(12))
    db.session.add(c)
    db.session.flush()
    return c


def completed_session(course: Course, last_meeting_ends: datetime, *done, failed=()) -> TrainingSession:
    """A completed session whose last meeting ends at `last_meeting_ends`; `done` completed it."""
    s = TrainingSession(
        course_id=course.id,
        name="一期",
        venue="社工站",
        capacity=50,
        enrol_opens=_AT,
        enrol_closes=_AT,
        status=SessionStatus.completed,
        completed_at=last_meeting_ends + timedelta(days=1),
    )
    db.session.add(s)
    db.session.flush()
    start = last_meeting_ends - timedelta(hours=2)
    db.session.add(Meeting(session_id=s.id, starts_at=start - timedelta(days=1), ends_at=start, checkin_code="A1"))
    db.session.add(Meeting(session_id=s.id, starts_at=start, ends_at=last_meeting_ends, checkin_code="A2"))
    for n, (w, ok) in enumerate([(w, True) for w in done] + [(w, False) for w in failed]):
        db.session.add(
            Enrolment(session_id=s.id, worker_id=w.id, state=EnrolmentState.enrolled, position=n, completed=ok)
        )
    db.session.flush()
    return s


def beijing(y, m, d, hh=12, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=UTC) - timedelta(hours=8)


def qualify(worker, level: Level, on: date) -> None:
    db.session.add(Qualification(worker_id=worker.id, level=level, obtained_on=on, source=QualificationSource.imported))
    db.session.flush()


@pytest.fixture
def trained(world):
    """Worker a (500103) completes two knowledge sessions in 2024 and one in 2025 and a backbone one
    in 2025; worker b (500104) completes a knowledge session on 2024-12-31 23:30 Beijing (15:30
    UTC) and fails another; a third worker completes one at 2025-01-01 00:30 Beijing, i.e.
    2024-12-31 16:30 UTC."""
    knowledge, backbone = _course(Track.knowledge), _course(Track.backbone)
    a, b = world.worker_a, world.worker_b
    c = f.worker(world.community_a, name="王芳")
    completed_session(knowledge, beijing(2024, 3, 1), a)
    completed_session(knowledge, beijing(2024, 9, 1), a)
    completed_session(knowledge, beijing(2025, 4, 1), a)
    completed_session(backbone, beijing(2025, 5, 1), a)
    completed_session(knowledge, beijing(2024, 12, 31, 23, 30), b)
    completed_session(knowledge, beijing(2024, 6, 1), failed=[b])
    completed_session(knowledge, beijing(2025, 1, 1, 0, 30), c)
    db.session.commit()
    return a, b, c


def test_a_worker_completing_two_sessions_of_a_track_in_a_year_counts_once(app_ctx, trained):
    table = queries.training_table(_admin(), date(2026, 6, 30))
    assert table.years == [2024, 2025, 2026]
    assert table.cell(Track.knowledge, 2024) == 2  # a (twice) and b, not c
    assert table.cell(Track.knowledge, 2025) == 2  # a and c
    assert table.cell(Track.backbone, 2025) == 1
    assert table.cell(Track.knowledge, None) == 3  # distinct over the years, not 2 + 2
    assert table.cell(None, 2025) == 2 and table.cell(None, None) == 3
    assert table.cell(Track.pre_exam, None) == 0


def _admin():
    return f.user(Role.admin)


def test_the_year_is_the_beijing_year_of_the_last_meeting(app_ctx, trained):
    a, b, c = trained
    table = queries.training_table(_admin(), date(2025, 1, 1))
    # b's session ended 2024-12-31 23:30 Beijing: 2024; c's ended 2025-01-01 00:30 Beijing: 2025
    assert table.cell(Track.knowledge, 2024) == 2
    assert table.cell(Track.knowledge, 2025) == 1
    # as of 2024-12-31 the session ending half an hour after midnight is not yet in
    assert queries.training_table(_admin(), date(2024, 12, 31)).cell(Track.knowledge, None) == 2


def test_a_district_coordinator_counts_only_workers_in_their_districts(app_ctx, world, trained):
    table = queries.training_table(world.coord_a, date(2026, 6, 30))
    assert table.cell(Track.knowledge, 2024) == 1  # a only; b is in 500104
    assert table.cell(Track.knowledge, None) == 2  # a and c


def test_a_later_transfer_leaves_an_earlier_figure_as_it_was(app_ctx, world, trained):
    a = world.worker_a
    before = queries.training_table(world.coord_a, date(2025, 12, 31)).cell(None, None)
    period = a.periods[-1]
    workers.update_period(
        period, workers.PostData(period.community_id, period.post_type, period.start_date, date(2026, 3, 31))
    )
    workers.add_period(a, workers.PostData(world.community_b.id, PostType.staff, date(2026, 4, 1)))
    db.session.commit()
    assert queries.training_table(world.coord_a, date(2025, 12, 31)).cell(None, None) == before == 2
    assert queries.training_table(world.coord_a, date(2026, 6, 30)).cell(None, None) == 1  # a left on 1 April


def test_the_target_is_data_an_admin_changes(app_ctx, trained):
    assert queries.talent_plan().target == 10_000
    progress_services.set_target("万名社工培养计划", 4)
    db.session.commit()
    target = queries.plan_target(queries.training_table(_admin(), date(2026, 6, 30)))
    assert (target.target, target.reached, target.percent, target.remaining) == (4, 3, Decimal("75.0"), 1)
    assert Target("x", 2, 3).bar_percent == 100.0


def test_certified_workers_by_highest_level_and_district_at_a_years_end(app_ctx, world):
    a, b = world.worker_a, world.worker_b  # a already holds assistant (the world's exam results)
    qualify(a, Level.intermediate, date(2025, 12, 20))
    qualify(b, Level.local, date(2026, 1, 1))
    db.session.commit()
    table = queries.certified(_admin(), 2025, date(2026, 6, 30))
    assert table.day == date(2025, 12, 31)
    by_code = {r.code: r for r in table.rows}
    assert by_code["500103"].counts[Level.intermediate] == 1 and by_code["500103"].total == 1
    assert "500104" not in by_code  # b's certificate came on 1 January
    assert queries.certified(_admin(), 2026, date(2026, 6, 30)).total.total == 2
    assert queries.certified(world.coord_a, 2026, date(2026, 6, 30)).total.total == 1
    assert year_end(2026, date(2026, 6, 30)) == date(2026, 6, 30)


def test_exam_pass_rates_are_the_overviews_as_of_the_results_date(app_ctx, world):
    # the world: worker a sat A1 (72, passed) and A2 (65.5, passed) in 2024, results 2024-12-20
    rates = queries.exam_rates(_admin(), date(2024, 12, 20))
    assert [(r.key, r.sat, r.passed) for r in rates] == [("2024", 2, 2)]
    assert queries.exam_rates(_admin(), date(2024, 12, 19)) == []
    assert queries.exam_rates(world.coord_a, date(2025, 1, 1))[0].sat == 2
    assert queries.exam_rates(f.user(Role.coordinator, districts=["500104"]), date(2025, 1, 1)) == []


def test_the_page_and_its_files(client, trained):
    login(client, "t_coord_city")
    reports = client.get("/reports/").get_data(as_text=True)
    assert 'id="progress-link"' in reports
    html = client.get("/reports/progress?as_of=2026-06-30&year=2025").get_data(as_text=True)
    assert 'id="training-table"' in html and 'id="target-bar"' in html and "<svg" in html
    assert html.count("how-counted") == 4 and 'id="target-form"' not in html
    total = html.split('id="training-total"')[1].split("</tr>")[0]
    assert '<td class="text-end">3</td>' in total
    rows = client.get("/reports/progress/training.csv?as_of=2026-06-30").get_data().decode("utf-8-sig").splitlines()
    assert rows[0].startswith("年度,考前公益培训,社会工作知识普及培训,社区社工骨干培训")
    assert rows[1].startswith("2024,0,2,0,2") and rows[4].startswith("合计,0,3,1,3")
    content = client.get("/reports/progress/certified.xlsx?as_of=2026-06-30&lang=en").get_data()
    sheet = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert sheet[0][:2] == ("district_code", "district")
    exams = client.get("/reports/progress/exams.csv?as_of=2026-06-30").get_data().decode("utf-8-sig").splitlines()
    assert exams[0] == "考试年度,参考科次,合格科次,合格率(%)" and exams[1] == "2024,2,2,100.0"
    years = client.get("/reports/progress/certified_years.csv?as_of=2026-06-30").get_data().decode("utf-8-sig")
    assert years.splitlines()[-1] == "2026-06-30,0,1,0,0,1"  # worker a's assistant level (the world's results)
    assert client.get("/reports/progress/nothing.csv").status_code == 404


def test_a_coordinator_cannot_set_the_target(client, world):
    login(client, "t_coord_city")
    assert post(client, "/reports/progress/target", {"name": "计划", "target": "5"}).status_code == 403
    assert queries.talent_plan().target == 10_000


def test_an_admin_sets_the_target_on_the_page(client, world):
    login(client, "t_admin")
    assert 'id="target-form"' in client.get("/reports/progress").get_data(as_text=True)
    response = post(client, "/reports/progress/target", {"name": "万名社工培养计划", "target": "12000"})
    assert response.status_code == 302
    assert queries.talent_plan().target == 12000
    assert post(client, "/reports/progress/target", {"name": "计划", "target": "0"}).status_code == 302
    assert queries.talent_plan().target == 12000


def test_workers_do_not_see_the_progress_page(client, world):
    login(client, "t_worker_a")
    assert client.get("/reports/progress").status_code in (302, 403)
