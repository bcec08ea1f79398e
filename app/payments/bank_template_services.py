"""Reading and saving bank file templates; who may manage them.

Admins and city-wide payroll officers (those who download the bank file) keep the templates; a
district payroll officer, who never downloads the city's bank file, does not.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.access import Role, is_city_payroll_officer
from app.core.services import NotPermitted, RecordNotFound, ServiceError
from app.extensions import db
from app.payments.bank_templates import COLUMNS, ENCODINGS, FORMATS, HEADER_MAX, REQUIRED_COLUMNS, BankFileTemplate
from app.payments.models import Bank


@dataclass
class TemplateSpec:
    """A template as the admin page (or a test) states it; columns are (key, header) in file order."""

    name: str
    columns: list[tuple[str, str]]
    file_format: str = "csv"
    encoding: str = "gb18030"
    header_row: bool = True
    totals_row: bool = False
    totals_label: str = "合计"
    is_default: bool = False
    bank_id: int | None = None


def may_manage(user) -> bool:
    return user is not None and (user.role == Role.admin or is_city_payroll_officer(user))


def check_may_manage(user) -> None:
    if not may_manage(user):
        raise NotPermitted


def templates() -> list[BankFileTemplate]:
    """The default first, then by name."""
    query = sa.select(BankFileTemplate).order_by(BankFileTemplate.is_default.desc(), BankFileTemplate.name)
    return list(db.session.scalars(query))


def default_template() -> BankFileTemplate | None:
    return db.session.scalar(sa.select(BankFileTemplate).where(BankFileTemplate.is_default.is_(True)))


def template_of(template_id) -> BankFileTemplate:
    """The template of an id from a URL or a form; RecordNotFound when there is none."""
    try:
        found = db.session.get(BankFileTemplate, int(template_id))
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise RecordNotFound(template_id)
    return found


def chosen(template_id: str | None) -> BankFileTemplate | None:
    """The template a page asked for (?template=ID), or None (the default) when it names none."""
    return template_of(template_id) if template_id else None


def template_named(name: str) -> BankFileTemplate | None:
    return db.session.scalar(sa.select(BankFileTemplate).where(BankFileTemplate.name == name.strip()))


def save_template(template: BankFileTemplate | None, spec: TemplateSpec) -> BankFileTemplate:
    """Add a template (template None) or change one; flushes, the caller commits."""
    name = spec.name.strip()
    _check_name(template, name)
    columns = _checked_columns(spec.columns)
    if spec.file_format not in FORMATS:
        raise ServiceError(_("Choose CSV or XLSX."), "file_format")
    if spec.encoding not in ENCODINGS:
        raise ServiceError(_("Choose an encoding from the list."), "encoding")
    if spec.bank_id is not None and db.session.get(Bank, spec.bank_id) is None:
        raise ServiceError(_("Choose a bank from the list."), "bank")
    label = (spec.totals_label or "").strip() or "合计"
    if len(label) > HEADER_MAX:
        raise ServiceError(_("At most %(n)d characters.", n=HEADER_MAX), "totals_label")
    if template is not None and template.is_default and not spec.is_default:
        raise ServiceError(_("One template is always the default: make another one the default instead."), "is_default")
    if spec.is_default:
        _unset_default(template)
    if template is None:
        template = BankFileTemplate()
        db.session.add(template)
    template.name, template.bank_id, template.columns = name, spec.bank_id, columns
    template.file_format, template.encoding = spec.file_format, spec.encoding
    template.header_row, template.totals_row, template.totals_label = spec.header_row, spec.totals_row, label
    template.is_default = spec.is_default
    db.session.flush()
    return template


def _check_name(template: BankFileTemplate | None, name: str) -> None:
    if not name:
        raise ServiceError(_("Give the template a name."), "name")
    if len(name) > 64:
        raise ServiceError(_("At most %(n)d characters.", n=64), "name")
    other = template_named(name)
    if other is not None and other is not template:
        raise ServiceError(_("Another template is already called %(name)s.", name=name), "name")


def _checked_columns(columns: list[tuple[str, str]]) -> list[dict]:
    keys = [key for key, _header in columns]
    unknown = [key for key in keys if key not in COLUMNS]
    if unknown:
        raise ServiceError(_("Unknown column: %(keys)s.", keys=", ".join(unknown)))
    if len(set(keys)) != len(keys):
        raise ServiceError(_("Each column may be chosen once."))
    missing = [str(COLUMNS[key].label) for key in REQUIRED_COLUMNS if key not in keys]
    if missing:
        raise ServiceError(_("A bank file needs these columns: %(names)s.", names=", ".join(missing)))
    checked = []
    for key, header in columns:
        text = (header or "").strip() or COLUMNS[key].header
        if len(text) > HEADER_MAX:
            raise ServiceError(_("A header has at most %(n)d characters: %(header)s", n=HEADER_MAX, header=text))
        checked.append({"key": key, "header": text})
    return checked


def _unset_default(keep: BankFileTemplate | None) -> None:
    for other in db.session.scalars(sa.select(BankFileTemplate).where(BankFileTemplate.is_default.is_(True))):
        if other is not keep:
            other.is_default = False
    db.session.flush()  # the partial unique index allows one default at a time
