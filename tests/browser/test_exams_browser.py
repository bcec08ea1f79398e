"""End to end in chromium: the demo worker's assistant qualification shows on the record a
coordinator opens and on the worker's own "my record"."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app.exams.levels import Level
from tests.browser.live import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]

# The zh label, or the English source while the catalog lacks it.
ASSISTANT = re.compile("助理社会工作师|Assistant social work practitioner")


@pytest.fixture(scope="module")
def obtained_on(app, demo_worker) -> str:
    """When the demo worker obtained the assistant level (the demo data computes it from results)."""
    from app.exams.models import Qualification
    from app.extensions import db

    with app.app_context():
        found = db.session.scalar(
            sa.select(Qualification.obtained_on).where(
                Qualification.worker_id == demo_worker.id, Qualification.level == Level.assistant
            )
        )
        db.session.remove()
    assert found is not None, "the demo data should give the demo worker the assistant level"
    return found.isoformat()


def assistant_row(page, obtained_on: str):
    rows = page.locator("#qualifications tbody tr")
    row = rows.filter(has_text=obtained_on)
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text(ASSISTANT)
    expect(row.locator("td").nth(1)).to_have_text(obtained_on)
    return row


def test_coordinator_and_worker_see_the_assistant_qualification(page, live_server, demo_worker, obtained_on):
    sign_in(page, live_server, "coord_yz")
    page.goto(f"{live_server}/workers/{demo_worker.id}")
    expect(page.locator("#worker-name")).to_contain_text(demo_worker.name)
    assistant_row(page, obtained_on)

    page.context.clear_cookies()  # sign out without the menu
    sign_in(page, live_server, demo_worker.id_number)
    page.goto(f"{live_server}/workers/me")
    expect(page.locator("#worker-name")).to_contain_text(demo_worker.name)
    assistant_row(page, obtained_on)
