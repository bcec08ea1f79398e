"""The places file (DOMAIN.md): district code, street, community code, community and, optionally,
its type (社区 or 村; a new community without one is 社区, an existing one keeps its type). Plan an
import (check every row, write nothing), then apply it; all or nothing."""

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import tabular
from app.core.audit import AuditAction, record
from app.core.identity import is_ascii_digits
from app.core.importing import ImportKind, register_import
from app.core.tabular import Column, RowError
from app.extensions import db
from app.places.models import COMMUNITY_TYPE_ALIASES, Community, CommunityType, District, Street
from app.places.services import refresh_worker_places

PLACES_COLUMNS = [
    Column("district_code", "区县代码"),
    Column("street", "街道"),
    Column("community_code", "社区代码"),
    Column("community", "社区"),
    Column("community_type", "类型", required=False),
]


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
    """Read and check the whole file; raises tabular.FileRejected when it cannot be read."""
    table = tabular.read_table(filename, data, PLACES_COLUMNS)
    plan = PlacesPlan()
    districts = dict(db.session.execute(sa.select(District.code, District.id)).all())
    streets = {(s.district_id, s.name) for s in db.session.scalars(sa.select(Street))}
    communities = {c.code: c for c in db.session.scalars(sa.select(Community))}
    seen_codes: dict[str, int] = {}
    new_streets: set[tuple] = set()
    for number, raw in table.rows:
        values = _read_row(number, raw, districts, seen_codes, table, plan.errors)
        if values is None:
            continue
        street_key = (values["district_id"], values["street"])
        if street_key not in streets:
            new_streets.add(street_key)
        _count_change(plan, communities.get(values["community_code"]), values)
        plan.rows.append(values)
    plan.new_streets = len(new_streets)
    return plan


def _read_row(
    number: int, raw: dict, districts: dict[str, int], seen_codes: dict[str, int], table, errors: list[RowError]
) -> dict | None:
    """The row's values, or None after reporting each bad one. A good community code is noted in
    `seen_codes`, so a later row with the same code is refused."""
    readers = {
        "district_id": ("district_code", lambda: _district_id(raw.get("district_code"), districts)),
        "street": ("street", lambda: tabular.text(raw.get("street"), 64)),
        "community": ("community", lambda: tabular.text(raw.get("community"), 64)),
        "community_code": ("community_code", lambda: _community_code(raw.get("community_code"), seen_codes)),
        "community_type": ("community_type", lambda: _community_type(raw.get("community_type"))),
    }
    values, failures = {}, []
    for name, (column, read) in readers.items():
        try:
            values[name] = read()
        except ValueError as exc:
            failures.append((column, str(exc)))
    if "community_code" in values:
        seen_codes[values["community_code"]] = number
    errors.extend(RowError(number, table.label(column), message) for column, message in failures)
    return None if failures else values


def _district_id(value, districts: dict[str, int]) -> int:
    code = tabular.code_text(value)
    if code not in districts:
        raise ValueError(_("district code “%(code)s” is not in the district list", code=code[:20]))
    return districts[code]


def _community_code(value, seen_codes: dict[str, int]) -> str:
    code = tabular.code_text(value)
    if not is_ascii_digits(code) or len(code) > 20:
        raise ValueError(_("a community code is up to 20 digits"))
    if code in seen_codes:
        raise ValueError(_("the same community code is already in row %(row)d", row=seen_codes[code]))
    return code


def _community_type(value) -> CommunityType | None:
    """The type the row names, or None when its cell is blank."""
    if not tabular.text(value, required=False):
        return None
    return tabular.choice(value, COMMUNITY_TYPE_ALIASES, lambda: "社区 (urban), 村 (village)")


def _count_change(plan: PlacesPlan, current: Community | None, values: dict) -> None:
    if current is None:
        plan.new_communities += 1
    elif (current.name, current.district_id, current.street.name, current.community_type) != (
        values["community"],
        values["district_id"],
        values["street"],
        values["community_type"] or current.community_type,
    ):
        plan.changed_communities += 1
    else:
        plan.unchanged_rows += 1


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
                    community_type=values["community_type"] or CommunityType.urban,
                )
            )
        else:
            community.name, community.street_id, community.district_id = (
                values["community"],
                street.id,
                street.district_id,
            )
            community.community_type = values["community_type"] or community.community_type
    db.session.flush()
    refresh_worker_places()
    counts = {
        "new_streets": plan.new_streets,
        "new_communities": plan.new_communities,
        "changed_communities": plan.changed_communities,
        "unchanged_rows": plan.unchanged_rows,
    }
    if plan.has_changes:
        record(AuditAction.import_, "community", None, summary=f"places import {filename}", after=counts)
    return counts


register_import(
    ImportKind(
        name="places",
        plan=lambda filename, data, _user: plan_places_import(filename, data),
        apply=apply_places_import,
        done_endpoint="places.district_list",
    )
)
