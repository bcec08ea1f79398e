"""Reads of the worker registry, always through the user's scope."""

from collections.abc import Hashable
from dataclasses import astuple, dataclass, replace
from datetime import date
from typing import NamedTuple

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination, SelectPagination

from app.core.access import Role, district_scope
from app.core.audit import AuditLog
from app.core.identity import InvalidIdentity, is_ascii_digits, mask_id_number, normalize_mobile, normalize_text
from app.core.services import RecordNotFound
from app.core.totals import total_of, watch
from app.extensions import db
from app.places.models import Community, District, Street
from app.workers.education import Education, EducationLevel
from app.workers.education_records import at_least_on
from app.workers.models import PostPeriod, PostType, Worker, in_post

SORTS = {
    "name": (Worker.name, Worker.id),
    "-name": (Worker.name.desc(), Worker.id.desc()),
    "id_number": (Worker.id_number,),
    "-id_number": (Worker.id_number.desc(),),
    "post_start": (Worker.post_start, Worker.id),
    "-post_start": (Worker.post_start.desc(), Worker.id.desc()),
    "community": (Worker.community_id, Worker.name, Worker.id),
}


def scoped_workers(user) -> sa.Select:
    """Workers this user may see: a worker only themself, staff their districts' workers.

    A worker belongs to the district of their latest post period.
    """
    query = sa.select(Worker)
    if user.role == Role.worker:
        return query.where(Worker.id == (user.worker_id or 0))
    scope = district_scope(user)
    if scope is not None:
        query = query.where(Worker.district_id.in_(scope or [0]))
    return query


def get_worker(user, worker_id: int) -> Worker:
    """The worker, if within the user's scope; outside it answers RecordNotFound (a 404), as if
    the worker did not exist."""
    worker = db.session.scalar(scoped_workers(user).where(Worker.id == worker_id))
    if worker is None:
        raise RecordNotFound(f"worker {worker_id}")
    return worker


def get_period(worker: Worker, period_id: int) -> PostPeriod:
    """One of this worker's post periods (the worker comes from get_worker, so it is in scope);
    another worker's period answers RecordNotFound."""
    period = db.session.get(PostPeriod, period_id)
    if period is None or period.worker_id != worker.id:
        raise RecordNotFound(f"post period {period_id}")
    return period


def record_history(worker: Worker, limit: int = 20) -> list[AuditLog]:
    """The latest audit entries about the worker's record, post periods and education, newest first
    (a deleted education record's entry leaves with it: its id is no longer the worker's)."""
    about_periods = sa.and_(
        AuditLog.entity_type == "post_period",
        AuditLog.entity_id.in_([p.id for p in worker.periods] or [0]),
    )
    about_education = sa.and_(
        AuditLog.entity_type == "education",
        AuditLog.entity_id.in_(sa.select(Education.id).where(Education.worker_id == worker.id)),
    )
    about_worker = sa.and_(AuditLog.entity_type == "worker", AuditLog.entity_id == worker.id)
    query = (
        sa.select(AuditLog)
        .where(sa.or_(about_worker, about_periods, about_education))
        .order_by(AuditLog.at.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


@dataclass
class WorkerFilter:
    q: str = ""
    district_id: int | None = None
    street_id: int | None = None
    community_id: int | None = None
    post_type: PostType | None = None
    status: str = ""  # "in_post", "left" or ""
    education: EducationLevel | None = None  # this level or higher, obtained by today
    sort: str = "name"

    def key(self) -> tuple:
        """What the rows found depend on (the order does not change how many)."""
        return astuple(replace(self, sort=""))


def filtered_workers(user, f: WorkerFilter, today: date) -> sa.Select:
    query = scoped_workers(user)
    q = f.q.strip()
    if q:
        query = query.where(_search_clause(q))
    if f.district_id:
        query = query.where(Worker.district_id == f.district_id)
    if f.street_id:
        query = query.where(Worker.street_id == f.street_id)
    if f.community_id:
        query = query.where(Worker.community_id == f.community_id)
    if f.post_type:
        query = query.where(Worker.post_type == f.post_type)
    if f.status == "in_post":
        query = query.where(Worker.in_post_on(today))
    elif f.status == "left":
        query = query.where(Worker.post_end < today)
    if f.education:
        query = query.where(at_least_on(f.education, today))
    return query.order_by(*SORTS.get(f.sort, SORTS["name"]))


class ListedWorker(NamedTuple):
    """A row of the worker list, read as plain columns: 50 Worker objects with their community,
    street and district made by the ORM were a fifth of the page's time."""

    id: int
    name: str
    id_number: str
    phone: str | None
    post_type: PostType | None
    post_start: date | None
    post_end: date | None
    district_name: str | None
    street_name: str | None
    community_name: str | None

    @property
    def masked_id(self) -> str:
        return mask_id_number(self.id_number)

    def in_post_on(self, day: date) -> bool:
        return in_post(self.post_start, self.post_end, day)


class _ListedPage(SelectPagination):
    def _query_items(self) -> list[ListedWorker]:
        select = self._query_args["select"].limit(self.per_page).offset(self._query_offset)
        return [ListedWorker._make(row) for row in self._query_args["session"].execute(select)]


def list_page(user, f: WorkerFilter, today: date, page: int, per_page: int = 50) -> Pagination:
    """A page of the worker list (ListedWorker rows) and the number of workers found."""
    query = filtered_workers(user, f, today)
    columns = (
        query.with_only_columns(
            Worker.id,
            Worker.name,
            Worker.id_number,
            Worker.phone,
            Worker.post_type,
            Worker.post_start,
            Worker.post_end,
            District.name,
            Street.name,
            Community.name,
        )
        .outerjoin_from(Worker, Community, Community.id == Worker.community_id)
        .outerjoin(Street, Street.id == Community.street_id)
        .outerjoin(District, District.id == Community.district_id)
    )
    listed = _ListedPage(
        select=columns, session=db.session(), page=page, per_page=per_page, error_out=False, count=False
    )
    listed.total = worker_total(user, query, f.key(), today)
    return listed


def _search_clause(q: str):
    upper = normalize_text(q).upper()  # a full-width paste finds the same worker
    if len(upper) >= 6 and is_ascii_digits(upper[:-1]) and (is_ascii_digits(upper[-1]) or upper[-1] == "X"):
        if len(upper) == 18:
            return Worker.id_number == upper
        try:
            return Worker.phone == normalize_mobile(q)
        except InvalidIdentity:
            return Worker.id_number.startswith(upper)
    return Worker.name.contains(q, autoescape=True)


def scope_key(user) -> Hashable:
    """What a user's scoped_workers depends on: the part of a kept total's key for the user."""
    if user.role == Role.worker:
        return ("worker", user.worker_id)
    scope = district_scope(user)
    return None if scope is None else frozenset(scope)


def worker_total(user, query: sa.Select, what: Hashable, today: date) -> int:
    """The number of workers a query of this user's finds (what: its filters), kept a minute
    when it is large (app/core/totals.py)."""
    return total_of(query, ("workers", scope_key(user), what, today))


# Adding, editing or deleting a worker, a post period or an education forgets kept totals.
watch(Worker, PostPeriod, Education)
