"""Writes to places: districts (from the shipped GB/T 2260 list), streets and communities."""

import csv
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.identity import is_ascii_digits, normalize_text
from app.core.services import ServiceError
from app.extensions import db
from app.places.models import Community, CommunityType, District, Street

SHIPPED_DISTRICTS = Path(__file__).parent / "data" / "cq_districts.csv"


def shipped_district_rows() -> list[dict]:
    with SHIPPED_DISTRICTS.open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def load_districts(rows: list[dict]) -> int:
    """Insert or rename districts by code; returns how many changed."""
    existing = {d.code: d for d in db.session.scalars(sa.select(District))}
    changed = 0
    for row in rows:
        district = existing.get(row["code"])
        if district is None:
            db.session.add(District(code=row["code"], name=row["name"], kind=row.get("kind", "")))
            changed += 1
        elif (district.name, district.kind) != (row["name"], row.get("kind", "")):
            district.name, district.kind = row["name"], row.get("kind", "")
            changed += 1
    db.session.flush()
    return changed


def save_street(street: Street | None, district_id: int, name: str) -> Street:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("The name is required."), "name")
    clash = db.session.scalar(
        sa.select(Street.id).where(
            Street.district_id == district_id, Street.name == name, Street.id != (street.id if street else 0)
        )
    )
    if clash:
        raise ServiceError(_("This district already has a street with this name."), "name")
    if street is None:
        street = Street(district_id=district_id, name=name)
        db.session.add(street)
    else:
        street.name = name
    db.session.flush()
    return street


def save_community(
    community: Community | None,
    street: Street,
    code: str,
    name: str,
    community_type: CommunityType | str | None = None,
) -> Community:
    """Add or change a community; without a type a new one is urban (社区) and an existing one keeps its own."""
    code, name = normalize_text(code), (name or "").strip()
    if not is_ascii_digits(code) or len(code) > 20:
        raise ServiceError(_("A community code is up to 20 digits."), "code")
    if not name:
        raise ServiceError(_("The name is required."), "name")
    clash = db.session.scalar(
        sa.select(Community.id).where(Community.code == code, Community.id != (community.id if community else 0))
    )
    if clash:
        raise ServiceError(_("Another community already has this code."), "code")
    moved = community is not None and community.street_id != street.id
    kind = CommunityType(community_type) if community_type else None
    if community is None:
        community = Community(
            code=code,
            name=name,
            street_id=street.id,
            district_id=street.district_id,
            community_type=kind or CommunityType.urban,
        )
        db.session.add(community)
    else:
        community.code, community.name = code, name
        community.street_id, community.district_id = street.id, street.district_id
        community.community_type = kind or community.community_type
    db.session.flush()
    if moved:
        refresh_worker_places()
    return community


def refresh_worker_places() -> None:
    """A community that moved to another street carries its workers' district with it."""
    db.session.execute(
        sa.text("""
        UPDATE worker SET street_id = c.street_id, district_id = c.district_id
        FROM community c
        WHERE c.id = worker.community_id
          AND (worker.street_id IS DISTINCT FROM c.street_id OR worker.district_id IS DISTINCT FROM c.district_id)
    """)
    )
    db.session.expire_all()
