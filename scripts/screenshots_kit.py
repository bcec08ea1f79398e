"""What the screenshot tour works with: a camera (new pages in the Chinese UI, the PNGs written),
the small files it uploads, and a few reads of the demo data."""

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from playwright.sync_api import Browser, Page

from app.core.identity import make_id_number
from app.core.timeutil import LOCAL_TZ, local_today
from app.extensions import db
from app.places.models import Community, District
from app.workers.models import Worker


@dataclass
class Camera:
    """New pages in the Chinese UI at one viewport, and the PNGs written so far (in shots)."""

    browser: Browser
    out: Path
    viewport: dict
    shots: list[Path] = field(default_factory=list)

    def new_page(self) -> Page:
        context = self.browser.new_context(locale="zh-CN", viewport=self.viewport)
        context.set_default_timeout(15_000)
        return context.new_page()

    def shoot(self, page: Page, name: str, full_page: bool = False) -> None:
        page.evaluate("document.fonts.ready")
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.shots.append(path)


def posts_csv(app) -> bytes:
    """A small posts file: one good row and one bad row (a wrong check digit, an unknown post)."""
    with app.app_context():
        code = db.session.scalar(
            sa.select(Community.code).where(Community.code.like("500103%")).order_by(Community.code)
        )
        db.session.remove()
    good = make_id_number("500103", date(1991, 3, 8), 21)
    other = make_id_number("500103", date(1988, 11, 2), 35)
    bad = other[:-1] + ("0" if other[-1] != "0" else "1")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["身份证号", "姓名", "手机号", "社区代码", "岗位", "到岗日期", "离岗日期"])
    writer.writerow([good, "周晓梅", "13800138021", code, "专职工作人员", "2024-03-01", ""])
    writer.writerow([bad, "陈建国", "13800138035", code, "主席", "2024-03-01", ""])
    return out.getvalue().encode("utf-8")


def results_csv(demo) -> bytes:
    """A small exam results file for the demo worker: one good row, a score over 100 and a year
    that is not set up."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["身份证号", "姓名", "考试年度", "科目", "成绩"])
    writer.writerow([demo.id_number, demo.name, "2025", "I1", "68.5"])
    writer.writerow([demo.id_number, demo.name, "2025", "I2", "105"])
    writer.writerow([demo.id_number, demo.name, "2031", "I3", "70"])
    return out.getvalue().encode("utf-8")


def in_post(app, district_code: str) -> list[tuple[str, str]]:
    """(name, ID number) of a district's workers in post today, whom "enrol them" picks by district."""
    today = local_today()
    with app.app_context():
        rows = db.session.execute(
            sa.select(Worker.name, Worker.id_number)
            .join(District, District.id == Worker.district_id)
            .where(District.code == district_code, Worker.in_post_on(today))
            .order_by(Worker.id)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]


def local_at(days: int, hour: int, minute: int = 0) -> datetime:
    """Beijing time, `days` from today at hour:minute."""
    day = datetime.now(LOCAL_TZ).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=LOCAL_TZ)
