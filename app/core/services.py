"""What services and queries raise when a rule says no: translated messages, keyed by form field.

Read modules raise `RecordNotFound` / `NotPermitted` rather than HTTP errors, so they can be
called from the CLI and Celery too; the error handlers turn them into 404 / 403 pages."""


class ServiceError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class RecordNotFound(LookupError):
    """The record does not exist, or is outside the user's scope (which a user must not tell apart)."""


class NotPermitted(PermissionError):
    """The user's role may not do this to this record."""
