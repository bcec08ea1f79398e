"""The posts file's rows, read one by one (DOMAIN.md): every bad value of a row is reported,
with its column; then the rows are checked against each other (one row per person and start)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial

from flask_babel import gettext as _

from app.core import tabular
from app.core.identity import ResidentId, normalize_mobile, parse_id_number
from app.core.tabular import Column, RowError
from app.workers.models import POST_ALIASES

POSTS_COLUMNS = [
    Column("id_number", "身份证号"),
    Column("name", "姓名"),
    Column("phone", "手机号", required=False),
    Column("community_code", "社区代码"),
    Column("post", "岗位"),
    Column("start_date", "到岗日期"),
    Column("end_date", "离岗日期", required=False),
]

Communities = dict[str, tuple[int, int]]  # community code → (community id, district id)


@dataclass
class PostRow:
    row: int
    id_number: str
    name: str
    phone: str | None
    birth_date: date
    sex: str
    community_id: int
    post_type: object
    start_date: date
    end_date: date | None


def _post_choices() -> str:
    return "head/书记/主任, deputy/副书记/副主任, member/两委委员, staff/专职工作人员"


def _id_number(value) -> ResidentId:
    return parse_id_number(tabular.code_text(value))


def _phone(value) -> str | None:
    phone = tabular.code_text(value)
    return normalize_mobile(phone) if phone else None


def _community(communities: Communities, allowed: set[int] | None, value) -> tuple[int, int]:
    code = tabular.code_text(value)
    if not code:
        raise ValueError(_("is required"))
    community = communities.get(code)
    if community is None:
        raise ValueError(_("community code “%(code)s” is not in the places list", code=code[:20]))
    if allowed is not None and community[1] not in allowed:
        raise ValueError(_("community “%(code)s” is outside your districts", code=code))
    return community


def _readers(communities: Communities, allowed: set[int] | None) -> dict[str, Callable]:
    """Each column's reader, in the order the columns' errors are reported; a reader raises
    ValueError (InvalidIdentity is one) with the reason."""
    return {
        "id_number": _id_number,
        "name": partial(tabular.text, max_length=64),
        "phone": _phone,
        "community_code": partial(_community, communities, allowed),
        "post": partial(tabular.choice, aliases=POST_ALIASES, label_list=_post_choices),
        "start_date": tabular.parse_date,
        "end_date": partial(tabular.parse_date, required=False),
    }


def parse_rows(table, communities: Communities, allowed: set[int] | None, errors: list[RowError]) -> list[PostRow]:
    """The rows whose every value reads; the others' reasons go to `errors`."""
    readers = _readers(communities, allowed)
    rows = []
    for number, raw in table.rows:
        row = _parse_row(number, raw, readers, table, errors)
        if row is not None:
            rows.append(row)
    return rows


def _parse_row(number: int, raw: dict, readers: dict[str, Callable], table, errors: list[RowError]) -> PostRow | None:
    values, failures = {}, []
    for key, read in readers.items():
        try:
            values[key] = read(raw.get(key))
        except ValueError as exc:
            failures.append((key, str(exc)))
    start, end = values.get("start_date"), values.get("end_date")
    if start and end and end < start:
        failures.append(("end_date", _("the end date is before the start date")))
    errors.extend(RowError(number, table.label(key), message) for key, message in failures)
    if failures:
        return None
    identity = values["id_number"]
    return PostRow(
        number,
        identity.number,
        values["name"],
        values["phone"],
        identity.birth_date,
        identity.sex,
        values["community_code"][0],
        values["post"],
        start,
        end,
    )


def check_within_file(rows: list[PostRow], table, errors: list[RowError]) -> list[PostRow]:
    """Report duplicate keys and conflicting names; returns the rows that are not duplicates."""
    first_by_key: dict[tuple, int] = {}
    name_by_id: dict[str, tuple[str, int]] = {}
    unique = []
    for r in rows:
        key = (r.id_number, r.start_date)
        if key in first_by_key:
            errors.append(
                RowError(
                    r.row,
                    table.label("start_date"),
                    _("the same ID number and start date are already in row %(row)d", row=first_by_key[key]),
                )
            )
            continue
        first_by_key[key] = r.row
        unique.append(r)
        seen = name_by_id.setdefault(r.id_number, (r.name, r.row))
        if seen[0] != r.name:
            errors.append(
                RowError(
                    r.row,
                    table.label("name"),
                    _("the same ID number has the name “%(name)s” in row %(row)d", name=seen[0], row=seen[1]),
                )
            )
    return unique
