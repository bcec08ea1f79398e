"""A kind of exam file becomes known twice: to exams (KINDS, for the CLI, the pages and the review
queue) and to core's import pages and jobs, as `exam_<name>`, planned in the user's scope."""

from app.core.access import district_scope
from app.core.importing import ImportKind, register_import
from app.exams.importers.apply import KINDS, apply_import
from app.exams.importers.base import Kind
from app.exams.importers.plan import plan_import


def register(kind: Kind) -> Kind:
    KINDS[kind.name] = kind
    register_import(
        ImportKind(
            name=f"exam_{kind.name}",
            plan=lambda filename, data, user: plan_import(kind, filename, data, district_scope(user), user.id),
            apply=lambda plan, filename: apply_import(kind, plan, filename),
            done_endpoint="exams.overview",
        )
    )
    return kind
