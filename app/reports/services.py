"""Writes of the reports domain: terms (届)."""

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.forms import EARLIEST_DATE, LATEST_DATE
from app.core.services import ServiceError
from app.extensions import db
from app.reports.models import Term


def add_term(name: str, elected_on: date) -> Term:
    name = (name or "").strip()
    if not name:
        raise ServiceError(_("Give the term a name."), "name")
    if len(name) > 32:
        raise ServiceError(_("A term's name has at most 32 characters."), "name")
    if not EARLIEST_DATE <= elected_on <= LATEST_DATE:
        raise ServiceError(_("Give an election date between 1900 and 2100."), "elected_on")
    if db.session.scalar(sa.select(Term.id).where(Term.name == name)):
        raise ServiceError(_("A term with this name already exists."), "name")
    if db.session.scalar(sa.select(Term.id).where(Term.elected_on == elected_on)):
        raise ServiceError(_("Another term was elected on this date."), "elected_on")
    term = Term(name=name, elected_on=elected_on)
    db.session.add(term)
    db.session.flush()
    return term
