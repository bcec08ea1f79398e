"""Writes to places: districts (from the shipped GB/T 2260 list), streets and communities."""

import csv
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import tabular
from app.core.audit import AuditAction, record
from app.core.identity import is_ascii_digits, normalize_text
from app.core.services import ServiceError
from app.core.tabular import Column, RowError
from app.extensions import db
from app.places.models import Community, District, Street

SHIPPED_DISTRICTS = Path(__file__).parent / "data" / "cq_districts.csv"

PLACES_COLUMNS = [
    Column("district_code", "区县代码"),
    Column("street", "街道"),
    Column("community_code", "社区代码"),
    Column("community", "社区"),
]


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


@dataclass
class PlacesPlan:
    errors: list[RowError] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    new_streets: int = 0
    new_communities: int = 0
    changed_communities: int = 0
    unchanged_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def has_changes(self) -> bool:
        return bool(self.new_streets or self.new_communities or self.changed_communities)

    def summary(self) -> list[tuple[str, int]]:
        return [
            (_("Rows read"), len(self.rows) + len({e.row for e in self.errors})),
            (_("New streets"), self.new_streets),
            (_("New communities"), self.new_communities),
            (_("Communities that change"), self.changed_communities),
            (_("Rows already up to date"), self.unchanged_rows),
        ]


def plan_places_import(filename: str, data: bytes) -> PlacesPlan:
    table = tabular.read_table(filename, data, PLACES_COLUMNS)
    plan = PlacesPlan()
    districts = dict(db.session.execute(sa.select(District.code, District.id)).all())
    streets = {(s.district_id, s.name): s.id for s in db.session.scalars(sa.select(Street))}
    communities = {c.code: c for c in db.session.scalars(sa.select(Community))}
    seen_codes: dict[str, int] = {}
    new_streets: set[tuple] = set()
    for number, raw in table.rows:
        bad = len(plan.errors)

        def fail(key, message):
            plan.errors.append(RowError(number, table.label(key), message))

        values = {}
        try:
            code = tabular.code_text(raw.get("district_code"))
            if code not in districts:
                raise ValueError(_("district code “%(code)s” is not in the district list", code=code[:20]))
            values["district_id"] = districts[code]
        except ValueError as exc:
            fail("district_code", str(exc))
        for key in ("street", "community"):
            try:
                values[key] = tabular.text(raw.get(key), 64)
            except ValueError as exc:
                fail(key, str(exc))
        try:
            ccode = tabular.code_text(raw.get("community_code"))
            if not is_ascii_digits(ccode) or len(ccode) > 20:
                raise ValueError(_("a community code is up to 20 digits"))
            if ccode in seen_codes:
                raise ValueError(_("the same community code is already in row %(row)d", row=seen_codes[ccode]))
            seen_codes[ccode] = number
            values["community_code"] = ccode
        except ValueError as exc:
            fail("community_code", str(exc))
        if len(plan.errors) > bad:
            continue
        street_key = (values["district_id"], values["street"])
        if street_key not in streets and street_key not in new_streets:
            new_streets.add(street_key)
        current = communities.get(values["community_code"])
        if current is None:
            plan.new_communities += 1
        elif (current.name, current.district_id, current.street.name) != (
            values["community"],
            values["district_id"],
            values["street"],
        ):
            plan.changed_communities += 1
        else:
            plan.unchanged_rows += 1
        plan.rows.append(values)
    plan.new_streets = len(new_streets)
    return plan


def apply_places_import(plan: PlacesPlan, filename: str) -> dict:
    if plan.errors:
        raise ValueError("a plan with errors is never applied")
    streets = {(s.district_id, s.name): s for s in db.session.scalars(sa.select(Street))}
    communities = {c.code: c for c in db.session.scalars(sa.select(Community))}
    for values in plan.rows:
        key = (values["district_id"], values["street"])
        street = streets.get(key)
        if street is None:
            street = streets[key] = Street(district_id=key[0], name=key[1])
            db.session.add(street)
            db.session.flush()
        community = communities.get(values["community_code"])
        if community is None:
            db.session.add(
                Community(
                    code=values["community_code"],
                    name=values["community"],
                    street_id=street.id,
                    district_id=street.district_id,
                )
            )
        else:
            community.name, community.street_id, community.district_id = (
                values["community"],
                street.id,
                street.district_id,
            )
    db.session.flush()
    _refresh_worker_places()
    counts = {
        "new_streets": plan.new_streets,
        "new_communities": plan.new_communities,
        "changed_communities": plan.changed_communities,
        "unchanged_rows": plan.unchanged_rows,
    }
    if plan.has_changes:
        record(AuditAction.import_, "community", None, summary=f"places import {filename}", after=counts)
    return counts


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


def save_community(community: Community | None, street: Street, code: str, name: str) -> Community:
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
    if community is None:
        community = Community(code=code, name=name, street_id=street.id, district_id=street.district_id)
        db.session.add(community)
    else:
        community.code, community.name = code, name
        community.street_id, community.district_id = street.id, street.district_id
    db.session.flush()
    if moved:
        _refresh_worker_places()
    return community


def _refresh_worker_places() -> None:
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


def _register() -> None:
    from app.core.importing import ImportKind, register_import

    register_import(
        ImportKind(
            name="places",
            plan=lambda filename, data, user: plan_places_import(filename, data),
            apply=apply_places_import,
            done_endpoint="places.district_list",
        )
    )


_register()
