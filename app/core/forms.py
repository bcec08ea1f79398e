"""Small helpers shared by forms and views."""

from flask import flash


def show_service_error(form, error) -> None:
    """Put a service's refusal next to the field it is about, or on top of the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        flash(error.message, "danger")


def page_number(raw) -> int:
    try:
        return max(1, min(int(raw), 100000))
    except (TypeError, ValueError):
        return 1
