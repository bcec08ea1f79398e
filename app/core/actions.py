"""One user action in a view: call one service, then commit and say so, or roll back and say why.

    outcome = perform(services.enrol, session, worker, by=current_user.id,
                      success=lambda enrolment: _("%(name)s is enrolled.", name=worker.name))
    if not outcome:
        return render_template(...)          # the form shows the reason beside its field
    return redirect(url_for(..., id=outcome.value.id))

Services flush and never commit; this is the one place a view's transaction ends.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import flash
from flask_wtf import FlaskForm

from app.core.services import ServiceError
from app.extensions import db


@dataclass
class Outcome:
    ok: bool
    value: Any = None
    error: ServiceError | None = None

    def __bool__(self) -> bool:
        return self.ok


def perform(
    call: Callable[..., Any],
    *args: Any,
    success: str | Callable[[Any], str] | None = None,
    form: FlaskForm | None = None,
    **kwargs: Any,
) -> Outcome:
    """Run `call(*args, **kwargs)`. On a ServiceError: roll back, then put the reason on the form
    (beside the field it names, else at the top) or, with no form, flash it. Otherwise commit and
    flash `success` (a text, or a function of the result)."""
    try:
        value = call(*args, **kwargs)
    except ServiceError as exc:
        db.session.rollback()
        show_error(exc, form)
        return Outcome(False, error=exc)
    db.session.commit()
    if success is not None:
        flash(success(value) if callable(success) else success, "success")
    return Outcome(True, value)


def show_error(exc: ServiceError, form: FlaskForm | None = None) -> None:
    field = getattr(form, exc.field, None) if form is not None and exc.field else None
    if field is not None and hasattr(field, "errors"):
        field.errors = [*field.errors, exc.message]
    elif form is not None:
        form.form_errors.append(exc.message)
    else:
        flash(exc.message, "danger")
