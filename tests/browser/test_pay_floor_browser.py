"""End to end in chromium: the director pay floor.

payroll1 opens 报表 from the menu, follows the link to the pay-floor page, imports a director-pay
file through the page (upload → preview → confirm → job done), chooses the month and sees the
director below the floor with the shortfall; the income of the year before was recorded for the
director's district beforehand (through the service the income page calls).
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.live import sign_in
from tests.browser.shots import shot

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]


@pytest.fixture(scope="module")
def director(live):
    """A demo worker in an open head post of an urban community since before last month, and last
    month's floor for their district: 1.2 × 40,000 ÷ 12 = 4,000.00."""
    import sqlalchemy as sa

    from app.accounts.models import User
    from app.core.timeutil import local_today
    from app.extensions import db
    from app.places.models import Community, CommunityType
    from app.reports.pay_floor_services import save_income
    from app.workers.models import PostPeriod, PostType, Worker

    with live.app.app_context():
        month = (local_today().replace(day=1) - timedelta(days=1)).replace(day=1)
        found = db.session.execute(
            sa.select(Worker.id_number, Worker.name, Community.district_id)
            .join(PostPeriod, PostPeriod.worker_id == Worker.id)
            .join(Community, Community.id == PostPeriod.community_id)
            .where(
                PostPeriod.post_type == PostType.head,
                PostPeriod.end_date.is_(None),
                PostPeriod.start_date < month,
                Community.community_type == CommunityType.urban,
            )
            .order_by(Worker.id)
            .limit(1)
        ).one()
        admin = db.session.scalar(sa.select(User).where(User.username == "admin"))
        save_income(admin, found.district_id, month.year - 1, Decimal("40000"))
        db.session.commit()
        db.session.remove()
    return found.id_number, found.name, month


def test_payroll_imports_director_pay_on_the_page_and_sees_the_shortfall(page, live_server, director):
    id_number, name, month = director
    sign_in(page, live_server, "payroll1")
    page.click("#reports-link")
    page.click("#pay-floor-link")
    expect(page.locator("#how-counted")).to_be_visible()
    page.click("#director-pay-import-link")
    text = f"身份证号,月份,报酬\r\n{id_number},{month:%Y-%m},3999.99\r\n"
    bad = {
        "name": "bad.csv",
        "mimeType": "text/csv",
        "buffer": f"身份证号,月份,报酬\r\n{id_number},13月,1\r\n".encode(),
    }
    page.set_input_files("input[name=file]", files=[bad])
    page.click("#check-file")
    expect(page.locator("#import-errors")).to_be_visible()
    expect(page.locator("#confirm-import")).to_have_count(0)
    good = {"name": "pay.csv", "mimeType": "text/csv", "buffer": text.encode("utf-8-sig")}
    page.set_input_files("input[name=file]", files=[good])
    page.click("#check-file")
    expect(page.locator("#import-preview")).to_be_visible()
    page.click("#confirm-import")
    expect(page).to_have_url(re.compile(r"/imports/\d+$"))
    expect(page.locator("#job-done")).to_be_visible()
    page.click("#job-continue")
    page.fill("#month", f"{month:%Y-%m}")
    page.click("#show-month")
    row = page.locator("#below-table tbody tr", has_text=name).first
    expect(row).to_contain_text("3999.99")
    expect(row).to_contain_text("4000.00")
    expect(row).to_contain_text("0.01")
    expect(page.locator("#pay-chart")).to_be_visible()
    shot(page, "pay-floor")
