"""A community worker on a phone (390 px wide): every page of theirs fits the screen without
sideways scrolling, the ID number is never wrapped, the qualifications read as cards, and the
unread notice count shows without opening the menu."""

import re

import pytest
from playwright.sync_api import expect

from app.demo import DEMO_PASSWORD
from tests.browser.shots import PHONE, shot

pytestmark = [pytest.mark.browser, pytest.mark.no_db_transaction]


@pytest.fixture
def phone(browser):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def unread_notice(app, demo_worker):
    """A notice for the demo worker's account (as the reminders scan would leave one)."""
    import sqlalchemy as sa

    from app.accounts.models import User
    from app.extensions import db
    from app.reminders import notices

    with app.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.worker_id == demo_worker.id))
        notices.notify(
            [user_id], "session_cancelled", "session:phone", "cancelled", {"course": "社工实务", "session": "一期"}
        )
        db.session.commit()
        db.session.remove()


def fits_the_screen(page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at 390 px"


def open_the_menu(page) -> None:
    page.wait_for_load_state("load")  # Bootstrap's script, at the end of the page, folds and unfolds it
    page.click(".navbar-toggler")
    expect(page.locator("#nav")).to_have_class(re.compile(r"\bshow\b"))  # unfolded, not unfolding


def open_from_menu(page, label: str) -> None:
    open_the_menu(page)
    page.locator(".navbar-nav a", has_text=label).click()


def open_from_user_menu(page, label: str) -> None:
    open_the_menu(page)
    page.click("#user-menu")
    item = page.locator(".dropdown-menu a", has_text=label)
    expect(item).to_be_visible()
    item.click()


def test_every_page_of_a_worker_fits_a_phone(phone, live_server, demo_worker, unread_notice):
    page = phone
    sign_in_on_phone(page, live_server, demo_worker.id_number)

    # The unread count is in sight with the menu folded.
    expect(page.locator(".navbar-collapse")).not_to_be_visible()
    expect(page.locator("#unread-count-mobile")).to_be_visible()

    open_from_menu(page, "我的档案")
    expect(page.locator("#worker-name")).to_contain_text(demo_worker.name)
    number = page.locator("#full-id-number")
    expect(number).to_have_text(demo_worker.id_number)
    lines = number.evaluate(
        "el => { const r = document.createRange(); r.selectNodeContents(el);"
        " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size }"
    )
    assert lines == 1, "the ID number is wrapped"
    # Qualifications read as cards: no table header, each row a block with its labels.
    expect(page.locator("#qualifications thead")).not_to_be_visible()
    first = page.locator("#qualifications tbody tr").first
    assert first.evaluate("el => getComputedStyle(el).display") == "block"
    fits_the_screen(page)
    shot(page, "my-record")

    open_from_menu(page, "我的培训")
    expect(page).to_have_url(re.compile(r"/training/me"))
    fits_the_screen(page)
    shot(page, "training-mine")

    open_from_menu(page, "我的津贴")
    expect(page).to_have_url(re.compile(r"/allowance/me"))
    fits_the_screen(page)
    shot(page, "allowance-statement")

    page.click("#notices-link-mobile")
    expect(page).to_have_url(re.compile(r"/notices"))
    expect(page.locator("main")).to_contain_text("社工实务")
    fits_the_screen(page)
    shot(page, "notices")

    open_from_user_menu(page, "通知设置")
    expect(page).to_have_url(re.compile(r"/notices/preferences"))
    fits_the_screen(page)

    open_from_user_menu(page, "修改密码")
    expect(page).to_have_url(re.compile(r"/account/password"))
    fits_the_screen(page)


def sign_in_on_phone(page, base_url: str, login: str) -> None:
    page.goto(f"{base_url}/login")
    fits_the_screen(page)
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#sign-in")
    expect(page).not_to_have_url(re.compile(r"/login"))
