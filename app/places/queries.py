"""Reads of places, for every domain."""

from typing import NamedTuple

import sqlalchemy as sa

from app.core.access import district_scope
from app.extensions import db
from app.places.models import Community, District, Street


def all_districts() -> list[District]:
    return list(db.session.scalars(sa.select(District).order_by(District.code)))


def districts_for(user) -> list[District]:
    return list(db.session.scalars(_user_districts(user, District)))


def _user_districts(user, *columns) -> sa.Select:
    """The districts a user works on (all of them for the city-wide), in code order."""
    scope = district_scope(user)
    query = sa.select(*columns).order_by(District.code)
    if scope is not None:
        query = query.where(District.id.in_(scope or [0]))
    return query


def streets_in(district_ids: list[int]) -> list[Street]:
    if not district_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(Street).where(Street.district_id.in_(district_ids)).order_by(Street.district_id, Street.name)
        )
    )


def communities_in(street_ids: list[int]) -> list[Community]:
    if not street_ids:
        return []
    return list(
        db.session.scalars(sa.select(Community).where(Community.street_id.in_(street_ids)).order_by(Community.code))
    )


class Choice(NamedTuple):
    """A place as a filter's option shows it (read as two columns, not as an ORM object)."""

    id: int
    name: str


def drill_down(user, district_id: int | None, street_id: int | None):
    """The choices of a district → street → community filter: the user's districts, the streets of
    the chosen one of those, the communities of the chosen one of those streets."""
    districts = _choices(_user_districts(user, District.id, District.name))
    streets, communities = [], []
    if district_id in {d.id for d in districts}:
        streets = _choices(
            sa.select(Street.id, Street.name).where(Street.district_id == district_id).order_by(Street.name)
        )
    if street_id in {s.id for s in streets}:
        communities = _choices(
            sa.select(Community.id, Community.name).where(Community.street_id == street_id).order_by(Community.code)
        )
    return districts, streets, communities


def _choices(query: sa.Select) -> list[Choice]:
    return [Choice._make(row) for row in db.session.execute(query)]


def communities_for(user) -> list[Community]:
    """Communities a user may place a worker in (coordinators: their districts)."""
    scope = district_scope(user)
    query = sa.select(Community).order_by(Community.code)
    if scope is not None:
        query = query.where(Community.district_id.in_(scope or [0]))
    return list(db.session.scalars(query))


def community_by_code(code: str) -> Community | None:
    return db.session.scalar(sa.select(Community).where(Community.code == code))


def place_counts() -> dict[int, tuple[int, int]]:
    """District id → (streets, communities)."""
    streets = dict(
        db.session.execute(sa.select(Street.district_id, sa.func.count()).group_by(Street.district_id)).all()
    )
    communities = dict(
        db.session.execute(sa.select(Community.district_id, sa.func.count()).group_by(Community.district_id)).all()
    )
    return {d: (streets.get(d, 0), communities.get(d, 0)) for d in set(streets) | set(communities)}
