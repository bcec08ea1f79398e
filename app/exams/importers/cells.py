"""Reading one cell of an exam file: any rule's message becomes the error of that cell."""

from decimal import InvalidOperation

from app.core import tabular
from app.core.identity import InvalidIdentity
from app.core.services import ServiceError
from app.exams.levels import LEVEL_ALIASES, Level


class CellError(ValueError):
    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


def cell(column: str, fn, *args, **kwargs):
    """`fn(*args, **kwargs)`, with its complaint turned into a CellError of `column`."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, InvalidIdentity, ServiceError, InvalidOperation) as exc:
        raise CellError(column, getattr(exc, "message", None) or str(exc)) from None


def level(raw) -> Level:
    return tabular.choice(
        raw,
        LEVEL_ALIASES,
        lambda: "local/社会工作员, assistant/助理社会工作师, intermediate/社会工作师, senior/高级社会工作师",
    )
