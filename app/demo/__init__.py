"""Realistic demo data, above every domain (it seeds through their services): streets and
communities in every district, workers with valid ID
numbers, plausible names, posts, some transfers and leavers, and one account per role.

Deterministic (a fixed seed) and set-based, so 100,000 workers load in well under a minute.
"""

import random
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from app.accounts import services as accounts
from app.accounts.models import User
from app.core.access import Role
from app.core.identity import make_id_number
from app.core.timeutil import local_today, utcnow
from app.demo.copy import insert_rows
from app.exams import services as exams
from app.exams.models import CERecord, ExamResult, Qualification, Registration, SeniorReview
from app.exams.rules import passes
from app.extensions import db
from app.places.models import Community, CommunityType, District, Street
from app.workers.models import PostPeriod, PostType, Worker

DEMO_PASSWORD = "Demo2026!"
DEMO_DISTRICT = "500103"  # 渝中区: the one-district coordinator's district

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范廖石金韦贾夏付方邹熊白孟秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红燕鹏辉建国文斌宇浩凯健俊帆"
    "帅旭宁龙林欣佳琳莉晨雪婷倩瑶琴云峰波宏亮志海蓉梅丹丽萍颖鑫晶慧巧美娥凤"
)
STREET_WORDS = (
    "解放",
    "七星",
    "大溪",
    "石油",
    "化龙",
    "朝天",
    "上清",
    "南纪",
    "菜园",
    "两路",
    "望江",
    "青龙",
    "白沙",
    "黄桷",
    "新华",
    "龙泉",
    "桂花",
    "长生",
    "双凤",
    "金山",
    "华岩",
    "石桥",
    "人和",
    "观音",
)
COMMUNITY_WORDS = (
    "和平",
    "民生",
    "幸福",
    "丰收",
    "建设",
    "向阳",
    "东风",
    "团结",
    "光明",
    "兴隆",
    "新村",
    "康居",
    "锦绣",
    "学府",
    "滨江",
    "枇杷",
    "银杏",
    "翠湖",
    "梧桐",
    "柳荫",
    "玉带",
    "桥头",
    "石坝",
    "龙门",
)


def seed_places(rng: random.Random) -> None:
    if db.session.scalar(sa.select(sa.func.count(Street.id))):
        return
    now = utcnow()
    for district in db.session.scalars(sa.select(District).order_by(District.code)):
        words = rng.sample(STREET_WORDS, rng.randint(3, 6))
        for s_index, word in enumerate(words, start=1):
            suffix = "街道" if district.kind == "区" or s_index % 2 else "镇"
            street = Street(district_id=district.id, name=f"{word}{suffix}")
            db.session.add(street)
            db.session.flush()
            rows = []
            for c_index, cword in enumerate(rng.sample(COMMUNITY_WORDS, rng.randint(4, 7)), start=1):
                kind = "社区" if suffix == "街道" else rng.choice(("社区", "村"))
                rows.append(
                    {
                        "code": f"{district.code}{s_index:03d}{c_index:03d}",
                        "name": f"{cword}{kind}",
                        "community_type": (CommunityType.village if kind == "村" else CommunityType.urban).name,
                        "street_id": street.id,
                        "district_id": district.id,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            insert_rows(Community.__table__, rows)
    db.session.flush()


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return rng.choice(SURNAMES) + given


def seed_workers(rng: random.Random, count: int, progress=None) -> None:
    """Workers with their post periods. Each worker row is written with its latest post already on
    it (what refresh_current_posts would copy there: community, street, district, post type and
    dates), so 100,000 rows are not written twice (the UPDATE cost ~4 s of seed-demo's time)."""
    communities = db.session.execute(
        sa.select(Community.id, Community.district_id, Community.street_id, District.code)
        .join(District)
        .order_by(Community.code)
    ).all()
    places = {c.id: c for c in communities}
    demo_district = [c for c in communities if c.code == DEMO_DISTRICT]
    today = local_today()
    used_ids, used_phones = set(), set()
    now = utcnow()
    chunk = 5000
    for start in range(0, count, chunk):
        workers, plans = [], []
        for i in range(start, min(count, start + chunk)):
            home = demo_district[0] if i == 0 and demo_district else rng.choice(communities)
            workers.append(_new_worker(rng, home, used_ids, used_phones, now))
            plans.append((workers[-1]["id_number"], home, i))
        careers = [_career(rng, None, home, communities, today, first=(i == 0), now=now) for _n, home, i in plans]
        for worker, career in zip(workers, careers, strict=True):
            _with_current_post(worker, career, places)
        insert_rows(Worker.__table__, workers)
        ids = dict(
            db.session.execute(
                sa.select(Worker.id_number, Worker.id).where(Worker.id_number.in_([w["id_number"] for w in workers]))
            ).all()
        )
        periods = []
        for (number, _home, _i), career in zip(plans, careers, strict=True):
            for period in career:
                period["worker_id"] = ids[number]
            periods.extend(career)
        insert_rows(PostPeriod.__table__, periods)
        if progress:
            progress(len(workers))
    db.session.flush()


def _new_worker(rng: random.Random, home, used_ids: set, used_phones: set, now) -> dict:
    while True:
        birth = date(1965, 1, 1) + timedelta(days=rng.randint(0, 35 * 365))
        number = make_id_number(home.code, birth, rng.randint(0, 999))
        if number not in used_ids:
            used_ids.add(number)
            break
    while True:
        phone = f"1{rng.choice('3456789')}{rng.randint(0, 999_999_999):09d}"
        if phone not in used_phones:
            used_phones.add(phone)
            break
    return {
        "id_number": number,
        "name": _name(rng),
        "sex": "M" if int(number[16]) % 2 else "F",
        "birth_date": birth,
        "phone": phone,
        "created_at": now,
        "updated_at": now,
    }


def _with_current_post(worker: dict, career: list[dict], places: dict) -> None:
    """The worker's latest post on the worker row, as refresh_current_posts sets it."""
    latest = max(career, key=lambda period: period["start_date"])
    place = places[latest["community_id"]]
    worker.update(
        community_id=place.id,
        street_id=place.street_id,
        district_id=place.district_id,
        post_type=latest["post_type"],
        post_start=latest["start_date"],
        post_end=latest["end_date"],
    )


def _career(rng, worker_id, home, communities, today, first, now):
    start = date(2012, 1, 1) + timedelta(days=rng.randint(0, (today - date(2012, 1, 1)).days - 30))
    post = rng.choices(list(PostType), weights=(8, 10, 25, 57))[0]
    roll = 1.0 if first else rng.random()
    row = {"worker_id": worker_id, "created_at": now, "updated_at": now}
    if roll < 0.12 and (today - start).days > 400:  # a transfer, often to another district
        switch = start + timedelta(days=rng.randint(180, (today - start).days - 30))
        other = rng.choice(communities) if rng.random() < 0.5 else home
        return [
            {
                **row,
                "community_id": home.id,
                "post_type": post.name,
                "start_date": start,
                "end_date": switch - timedelta(days=1),
            },
            {
                **row,
                "community_id": other.id,
                "post_type": rng.choice(list(PostType)).name,
                "start_date": switch,
                "end_date": None,
            },
        ]
    end = None
    if 0.12 <= roll < 0.20 and (today - start).days > 60:  # a leaver
        end = start + timedelta(days=rng.randint(30, (today - start).days - 1))
    return [{**row, "community_id": home.id, "post_type": post.name, "start_date": start, "end_date": end}]


def seed_accounts() -> list[tuple[str, str, str]]:
    """One account per role; returns (username, role, what it shows) for the console."""
    first_worker = db.session.scalar(sa.select(Worker).order_by(Worker.id).limit(1))
    specs = [
        ("admin", Role.admin, {}, "系统管理员 / administrator"),
        (
            "coord_yz",
            Role.coordinator,
            {"district_codes": [DEMO_DISTRICT]},
            "培训专干·渝中区 / coordinator, one district",
        ),
        ("coord_city", Role.coordinator, {"city_wide": True}, "培训专干·全市 / coordinator, city-wide"),
        ("payroll1", Role.payroll, {"city_wide": True}, "薪酬专员 / payroll (computes, submits)"),
        ("payroll2", Role.payroll, {"city_wide": True}, "薪酬专员 / payroll (approves)"),
    ]
    if first_worker is not None:
        specs.append(
            (
                "worker",
                Role.worker,
                {"worker_id_number": first_worker.id_number},
                f"社区工作者 {first_worker.name} / worker (or log in with ID {first_worker.id_number} "
                f"or mobile {first_worker.phone})",
            )
        )
    listed = []
    for username, role, scope, label in specs:
        if db.session.scalar(sa.select(User.id).where(User.username == username)) is None:
            accounts.create_user(username, role, DEMO_PASSWORD, display_name=username, **scope)
        listed.append((username, role.value, label))
    return listed


EXAM_YEARS = {  # year: (exam date, results date)
    2021: (date(2021, 10, 16), date(2021, 12, 24)),
    2022: (date(2022, 10, 15), date(2022, 12, 20)),
    2023: (date(2023, 10, 28), date(2023, 12, 22)),
    2024: (date(2024, 10, 26), date(2024, 12, 20)),
    2025: (date(2025, 10, 25), date(2025, 12, 19)),
}


def seed_exams(rng: random.Random, progress=None) -> None:
    """Exam years, results for about half the workers, some senior reviews, registrations and CE,
    with qualifications computed by the real engine."""
    years = {}
    for year, (exam_date, results_date) in EXAM_YEARS.items():
        marks = {"A1": Decimal("55")} if year == 2022 else None  # one year with a lower local line
        years[year] = exams.exam_year_by_number(year) or exams.save_exam_year(
            year, results_date, exam_date, date(year, 3, 1), date(year, 4, 15), marks
        )
    worker_ids = list(db.session.scalars(sa.select(Worker.id).order_by(Worker.id)))
    now = utcnow()
    results, reviews = _exam_results(rng, years, worker_ids, now)
    for i in range(0, len(results), 5000):
        insert_rows(ExamResult.__table__, results[i : i + 5000])
        if progress:
            progress(0)
    if reviews:
        insert_rows(SeniorReview.__table__, reviews)
    # only those with results can have earned a level (a new registry holds no qualification yet)
    exams.recompute_qualifications(sorted({r["worker_id"] for r in results}))
    # certificates as the ministry numbers them, roughly: a prefix, the year, a serial
    db.session.execute(
        sa.update(Qualification)
        .where(Qualification.certificate_no.is_(None))
        .values(certificate_no=sa.literal("CQ") + sa.cast(Qualification.id + 100000, sa.String))
    )
    registrations, ce = _registrations_and_ce(rng, worker_ids[0], now)
    for i in range(0, len(registrations), 5000):
        insert_rows(Registration.__table__, registrations[i : i + 5000])
    for i in range(0, len(ce), 5000):
        insert_rows(CERecord.__table__, ce[i : i + 5000])
    db.session.flush()


def _exam_results(rng: random.Random, years: dict, worker_ids: list[int], now) -> tuple[list, list]:
    """Results for about half the workers (two sittings of a track's subjects; the first worker
    passes the assistant exam), and a senior review for some of the senior track."""
    results, reviews = [], []
    for wid in worker_ids:
        roll = rng.random()
        if roll > 0.55 and wid != worker_ids[0]:
            continue
        track = "A" if roll < 0.30 or wid == worker_ids[0] else ("I" if roll < 0.50 else "S")
        subjects = {"A": ("A1", "A2"), "I": ("I1", "I2", "I3"), "S": ("S1",)}[track]
        first = rng.choice(list(EXAM_YEARS)[:-1])
        for year in (first, first + 1):
            for subject in subjects:
                score = Decimal(rng.randint(380, 900)) / 10
                if wid == worker_ids[0]:
                    score = Decimal("72.5")
                results.append(
                    {
                        "worker_id": wid,
                        "exam_year_id": years[year].id,
                        "subject": subject,
                        "score": score,
                        "passed": passes(score, years[year].pass_mark(subject)),
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            if wid == worker_ids[0]:
                break
        if track == "S" and rng.random() < 0.6:
            reviews.append(
                {
                    "worker_id": wid,
                    "review_date": EXAM_YEARS[first][1] + timedelta(days=rng.randint(60, 900)),
                    "passed": rng.random() < 0.8,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    return results, reviews


def _registrations_and_ce(rng: random.Random, first_worker_id: int, now) -> tuple[list, list]:
    """A registration for most qualifications (always the first worker's), with some CE records."""
    registrations, ce = [], []
    for q in db.session.execute(sa.select(Qualification.worker_id, Qualification.level, Qualification.obtained_on)):
        if rng.random() < 0.85 or q.worker_id == first_worker_id:
            registered = q.obtained_on + timedelta(days=rng.randint(20, 200))
            registrations.append(
                {
                    "worker_id": q.worker_id,
                    "level": q.level.name,
                    "registered_on": registered,
                    "expires_on": exams.default_expiry(registered),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            for n in range(rng.randint(0, 4)):
                ce.append(
                    {
                        "worker_id": q.worker_id,
                        "date": registered + timedelta(days=30 + 150 * n),
                        "hours": Decimal(rng.choice((6, 8, 12, 16, 24))),
                        "description": f"继续教育专题{n + 1}",
                        "proof": f"CE-{q.worker_id}-{n + 1}",
                        "created_at": now,
                        "updated_at": now,
                    }
                )
    return registrations, ce
