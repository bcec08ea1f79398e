"""Writes to the worker registry. Services flush, never commit; the caller commits once."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.identity import InvalidIdentity, normalize_mobile, parse_id_number
from app.core.services import ServiceError
from app.extensions import db
from app.places.models import Community
from app.workers.models import PostPeriod, PostType, Worker


@dataclass
class PostData:
    community_id: int
    post_type: PostType
    start_date: date
    end_date: date | None = None


def create_worker(
    id_number: str, name: str, phone: str | None, first_post: PostData, allowed_districts: set[int] | None = None
) -> Worker:
    identity = _identity(id_number)
    _check_unique(identity.number, None, allowed_districts)
    worker = Worker(
        id_number=identity.number,
        name=_name(name),
        phone=_phone(phone),
        birth_date=identity.birth_date,
        sex=identity.sex,
    )
    db.session.add(worker)
    db.session.flush()
    add_period(worker, first_post, allowed_districts)
    return worker


def update_worker(
    worker: Worker, id_number: str, name: str, phone: str | None, allowed_districts: set[int] | None = None
) -> Worker:
    identity = _identity(id_number)
    _check_unique(identity.number, worker.id, allowed_districts)
    worker.id_number = identity.number
    worker.birth_date, worker.sex = identity.birth_date, identity.sex
    worker.name = _name(name)
    worker.phone = _phone(phone)
    db.session.flush()
    return worker


def add_period(worker: Worker, data: PostData, allowed_districts: set[int] | None = None) -> PostPeriod:
    _lock(worker)
    _check_period(worker, data, None, allowed_districts)
    period = PostPeriod(
        worker_id=worker.id,
        community_id=data.community_id,
        post_type=data.post_type,
        start_date=data.start_date,
        end_date=data.end_date,
    )
    db.session.add(period)
    db.session.flush()
    refresh_current_posts([worker.id])
    return period


def update_period(period: PostPeriod, data: PostData, allowed_districts: set[int] | None = None) -> PostPeriod:
    worker = period.worker
    _lock(worker)
    _check_period(worker, data, period.id, allowed_districts)
    period.community_id, period.post_type = data.community_id, data.post_type
    period.start_date, period.end_date = data.start_date, data.end_date
    db.session.flush()
    refresh_current_posts([worker.id])
    return period


def delete_period(period: PostPeriod) -> None:
    """A worker keeps at least one post period: the last one is edited, never deleted."""
    if len(period.worker.periods) == 1:
        raise ServiceError(_("A worker keeps at least one post period; edit it instead."))
    worker_id = period.worker_id
    db.session.delete(period)
    db.session.flush()
    refresh_current_posts([worker_id])


def refresh_current_posts(worker_ids: list[int] | None = None) -> None:
    """Copy each worker's latest post period onto the worker row (set-based).

    Rows already up to date are not rewritten, so a large import that changes little costs little.
    """
    chunks = [None] if worker_ids is None else [worker_ids[i : i + 1000] for i in range(0, len(worker_ids), 1000)]
    columns = ("community_id", "street_id", "district_id", "post_type", "post_start", "post_end")
    differs = " OR ".join(f"worker.{c} IS DISTINCT FROM latest.{c}" for c in columns)
    for chunk in chunks:
        only = "" if chunk is None else "WHERE worker_id IN :ids"
        where = "" if chunk is None else "AND worker.id IN :ids"
        params = {} if chunk is None else {"ids": chunk}
        latest = sa.text(f"""
            UPDATE worker SET community_id = latest.community_id, street_id = latest.street_id,
                district_id = latest.district_id, post_type = latest.post_type,
                post_start = latest.post_start, post_end = latest.post_end
            FROM (
                SELECT p.worker_id, p.community_id, c.street_id, c.district_id, p.post_type,
                       p.start_date AS post_start, p.end_date AS post_end
                FROM post_period p
                JOIN (SELECT worker_id, max(start_date) AS start_date FROM post_period {only}
                      GROUP BY worker_id) m ON m.worker_id = p.worker_id AND m.start_date = p.start_date
                JOIN community c ON c.id = p.community_id
            ) AS latest
            WHERE latest.worker_id = worker.id AND ({differs}) {where}""")
        none_left = sa.text(f"""
            UPDATE worker SET community_id = NULL, street_id = NULL, district_id = NULL,
                post_type = NULL, post_start = NULL, post_end = NULL
            WHERE community_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM post_period p WHERE p.worker_id = worker.id) {where}""")
        if chunk is not None:
            latest = latest.bindparams(sa.bindparam("ids", expanding=True))
            none_left = none_left.bindparams(sa.bindparam("ids", expanding=True))
        db.session.execute(latest, params)
        db.session.execute(none_left, params)
    db.session.expire_all()


def find_overlap(periods: list[tuple[date, date | None]]) -> tuple[int, int] | None:
    """Indexes of two periods that share a day, or None. Periods are [start, end], end open."""
    order = sorted(range(len(periods)), key=lambda i: periods[i][0])
    for a, b in zip(order, order[1:], strict=False):
        end_a = periods[a][1]
        if end_a is None or end_a >= periods[b][0]:
            return a, b
    return None


def _check_period(worker: Worker, data: PostData, own_id: int | None, allowed: set[int] | None) -> None:
    if data.end_date is not None and data.end_date < data.start_date:
        raise ServiceError(_("The end date must not be before the start date."), "end_date")
    community = db.session.get(Community, data.community_id)
    if community is None or (allowed is not None and community.district_id not in allowed):
        raise ServiceError(_("Choose a community within your districts."), "community_id")
    others = db.session.execute(
        sa.select(PostPeriod.start_date, PostPeriod.end_date).where(
            PostPeriod.worker_id == worker.id, PostPeriod.id != (own_id or 0)
        )
    ).all()
    for start, end in others:
        if find_overlap([(start, end), (data.start_date, data.end_date)]):
            raise ServiceError(
                _(
                    "This period overlaps the post period from %(start)s to %(end)s.",
                    start=start.isoformat(),
                    end=end.isoformat() if end else _("now"),
                ),
                "start_date",
            )


def _check_unique(id_number: str, own_id: int | None, allowed: set[int] | None) -> None:
    """One person, one record. Whether a number is taken outside the user's districts is not theirs
    to learn beyond the refusal itself, so that answer names no one and nothing (issue #10)."""
    holder = db.session.execute(
        sa.select(Worker.id, Worker.district_id).where(Worker.id_number == id_number, Worker.id != (own_id or 0))
    ).first()
    if holder is None:
        return
    if allowed is not None and holder.district_id not in allowed:
        raise ServiceError(out_of_reach_message(), "id_number")
    raise ServiceError(_("A worker with this ID number is already registered."), "id_number")


def out_of_reach_message() -> str:
    """The one answer about a person whose record the user cannot reach."""
    return _("This person cannot be recorded from your districts; please ask the city-wide coordinator.")


def _lock(worker: Worker) -> None:
    """Serialise period changes of one worker, so two requests cannot create an overlap."""
    db.session.execute(sa.select(Worker.id).where(Worker.id == worker.id).with_for_update())


def _identity(id_number: str):
    try:
        return parse_id_number(id_number)
    except InvalidIdentity as exc:
        raise ServiceError(str(exc), "id_number") from None


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("The name is required."), "name")
    if len(name) > 64:
        raise ServiceError(_("The name is longer than 64 characters."), "name")
    return name


def _phone(phone: str | None) -> str | None:
    if not phone or not phone.strip():
        return None
    try:
        return normalize_mobile(phone)
    except InvalidIdentity as exc:
        raise ServiceError(str(exc), "phone") from None
