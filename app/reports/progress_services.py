"""Writes for the talent plan: its name and target (an admin's; audited by the listener)."""

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.services import ServiceError
from app.extensions import db
from app.reports.progress_models import TalentPlan

MAX_TARGET = 10_000_000


def set_target(name: str, target: int | None) -> TalentPlan:
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise ServiceError(_("Give the plan a name of at most 80 characters."), "name")
    if target is None or not 0 < target <= MAX_TARGET:
        raise ServiceError(_("The target is a whole number of workers above zero."), "target")
    plan = db.session.scalar(sa.select(TalentPlan).order_by(TalentPlan.id).limit(1))
    if plan is None:
        plan = TalentPlan(name=name, target=target)
        db.session.add(plan)
    plan.name, plan.target = name, target
    db.session.flush()
    return plan
