"""End to end in chromium, with a real Celery worker on Redis: every kind of import file goes
upload → preview with a bad row → fixed file → confirm → job finished → the data on the record.

The pages are reached by the links a coordinator (or the admin, for places) sees; nothing is
posted to a URL the page does not offer.
"""

import re
from datetime import date

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.core.identity import make_id_number
from app.demo import DEMO_DISTRICT
from tests import services
from tests.browser.live import real_worker_overrides, sign_in, start, start_worker_for

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

JOB_TIMEOUT = 90_000  # ms: the worker process starts, then applies the file


@pytest.fixture(scope="module")
def jobs_server(tmp_path_factory):
    """A live server of its own whose confirmed imports are applied by a real worker process."""
    if not services.redis_available():
        services.missing("Redis")
    tmp = tmp_path_factory.mktemp("imports-e2e")
    server = start("socialwork_e2e_jobs", tmp, workers=60, **real_worker_overrides())
    worker = start_worker_for(server, tmp)
    yield server
    worker.terminate()
    worker.wait(timeout=30)
    services.purge_queue()
    server.stop(drop=True)


@pytest.fixture(scope="module")
def community_code(jobs_server) -> str:
    """A community in the one-district coordinator's district."""
    from app.extensions import db
    from app.places.models import Community, District

    with jobs_server.app.app_context():
        code = db.session.scalar(
            sa.select(Community.code)
            .join(District, District.id == Community.district_id)
            .where(District.code == DEMO_DISTRICT)
            .order_by(Community.code)
            .limit(1)
        )
        db.session.remove()
    return code


def csv_file(name: str, header: str, rows: list[str]) -> dict:
    text = "\r\n".join([header, *rows]) + "\r\n"
    return {"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8-sig")}


def import_through_the_page(page, bad: dict, bad_row: int, good: dict) -> None:
    """On an import page: a file with a bad row is refused naming that row; the fixed file
    previews, is confirmed, and its job finishes."""
    page.set_input_files("input[name=file]", files=[bad])
    page.click("#check-file")
    errors = page.locator("#import-errors")
    expect(errors).to_be_visible()
    expect(page.locator("table tbody tr td:first-child").filter(has_text=re.compile(rf"^{bad_row}$"))).to_have_count(1)
    expect(page.locator("#confirm-import")).to_have_count(0)

    page.set_input_files("input[name=file]", files=[good])
    page.click("#check-file")
    expect(page.locator("#import-preview")).to_be_visible()
    page.click("#confirm-import")
    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    expect(page.locator("#job-done")).to_be_visible(timeout=JOB_TIMEOUT)
    page.click("#job-continue")


def open_exam_import(page, label: str) -> None:
    page.locator(".navbar-nav a", has_text="考试").click()
    page.wait_for_url(re.compile(r"/exams/$"))
    # Bootstrap's script, at the end of the page, makes the toggle open its menu: a click on the
    # button as soon as it is drawn (a slow machine) did nothing and the menu never showed (CI)
    page.wait_for_load_state("load")
    page.locator("button.dropdown-toggle", has_text="导入").click()
    item = page.locator(".dropdown-menu a", has_text=label)
    expect(item).to_be_visible()
    item.click()
    expect(page.locator("input[name=file]")).to_be_visible()


def test_a_coordinator_imports_every_kind_of_file_and_reads_it_on_the_record(page, jobs_server, community_code):
    base = jobs_server.url
    number = make_id_number(DEMO_DISTRICT, date(1991, 3, 8), 417)
    other = make_id_number(DEMO_DISTRICT, date(1985, 11, 2), 233)
    sign_in(page, base, "coord_yz")

    # Posts: two new workers; the first file has a wrong check character on row 3.
    page.locator(".navbar-nav a", has_text="社区工作者").click()
    page.click("text=导入岗位信息")
    header = "身份证号,姓名,手机号,社区代码,岗位,到岗日期,离岗日期"
    good_rows = [
        f"{number},欧阳晓,13912345678,{community_code},专职工作人员,2024-03-01,",
        f"{other},司马青,,{community_code},两委委员,2023-09-01,",
    ]
    broken = other[:-1] + ("0" if other[-1] != "0" else "1")
    import_through_the_page(
        page,
        csv_file("posts.csv", header, [good_rows[0], good_rows[1].replace(other, broken)]),
        3,
        csv_file("posts.csv", header, good_rows),
    )
    page.fill("#q", number)
    page.click("#search-button")
    page.locator("#worker-table a", has_text="欧阳晓").click()
    expect(page.locator("#worker-name")).to_contain_text("欧阳晓")
    expect(page.locator("#history")).to_contain_text("2024-03-01")
    record = page.url

    # Exam results: A1 and A2 passed in 2025 (one exam year) → assistant; S1 passed in 2024.
    open_exam_import(page, "考试成绩")
    header = "身份证号,姓名,考试年度,科目,成绩"
    rows = [f"{number},欧阳晓,2025,A1,75", f"{number},欧阳晓,2025,A2,68.5", f"{other},司马青,2024,S1,66"]
    import_through_the_page(
        page,
        csv_file("results.csv", header, [rows[0], rows[1].replace("68.5", "120"), rows[2]]),
        3,
        csv_file("results.csv", header, rows),
    )
    page.goto(record)
    expect(page.locator("#results")).to_contain_text("68.5")
    expect(page.locator("#qualifications")).to_contain_text("助理社会工作师")

    # Senior review for the S1 pass → senior.
    open_exam_import(page, "高级评审")
    header = "身份证号,姓名,评审日期,评审结果"
    good = f"{other},司马青,2025-03-01,通过"
    import_through_the_page(
        page,
        csv_file("reviews.csv", header, [good.replace("通过", "也许")]),
        2,
        csv_file("reviews.csv", header, [good]),
    )

    # A historical certificate of Chongqing's own level.
    open_exam_import(page, "历史资格")
    header = "身份证号,姓名,等级,证书编号,取得日期"
    good = f"{number},欧阳晓,社会工作员,CQ-2019-0088,2019-06-30"
    import_through_the_page(
        page,
        csv_file("qualifications.csv", header, [good.replace("社会工作员", "大师")]),
        2,
        csv_file("qualifications.csv", header, [good]),
    )

    # The assistant certificate registered in January 2026.
    open_exam_import(page, "登记记录")
    header = "身份证号,姓名,等级,登记日期,有效期至"
    good = f"{number},欧阳晓,助理社会工作师,2026-01-10,"
    import_through_the_page(
        page,
        csv_file("registrations.csv", header, [good.replace("2026-01-10", "2026-02-30")]),
        2,
        csv_file("registrations.csv", header, [good]),
    )

    # A continuing-education record.
    open_exam_import(page, "继续教育记录")
    header = "身份证号,姓名,日期,学时,内容"
    good = f"{number},欧阳晓,2026-03-01,6,社区治理专题讲座"
    import_through_the_page(
        page,
        csv_file("ce.csv", header, [good.replace(",6,", ",-3,")]),
        2,
        csv_file("ce.csv", header, [good]),
    )

    page.goto(record)
    expect(page.locator("#qualifications")).to_contain_text("社会工作员")
    expect(page.locator("#qualifications")).to_contain_text("CQ-2019-0088")
    expect(page.locator("#qualifications")).to_contain_text("2029-01-09")  # registered until
    expect(page.locator("#ce")).to_contain_text("外部记录：6.0 学时")  # the CE record counts

    page.goto(f"{base}/workers/")
    page.fill("#q", other)
    page.click("#search-button")
    page.locator("#worker-table a", has_text="司马青").click()
    expect(page.locator("#qualifications")).to_contain_text("高级社会工作师")


def test_the_admin_imports_places_and_the_new_community_is_listed(page, jobs_server):
    base = jobs_server.url
    sign_in(page, base, "admin")
    page.locator(".navbar-nav a", has_text="行政区划").click()
    page.click("text=导入行政区划")
    header = "区县代码,街道,社区代码,社区"
    good = "500103,解放碑街道,500103999001,新华路社区"
    import_through_the_page(
        page,
        csv_file("places.csv", header, [good.replace("500103,", "999999,", 1)]),
        2,
        csv_file("places.csv", header, [good]),
    )
    expect(page.locator("body")).to_contain_text("渝中区")
    page.locator("a", has_text="渝中区").first.click()
    expect(page.locator("body")).to_contain_text("新华路社区")
