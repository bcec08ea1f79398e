"""Wiring shared by every domain: extensions, Celery, errors, templates, security."""

from flask import Flask

from app.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from config import BASE_DIR


def init_core(app: Flask) -> None:
    from app.core.celery import celery_init_app
    from app.core.errors import register_error_handlers
    from app.core.locale import select_locale, select_timezone
    from app.core.security import init_security
    from app.core.templating import register_template_helpers

    db.init_app(app)
    _import_models()
    from app.core.sqlite import configure_sqlite

    with app.app_context():
        for engine in db.engines.values():
            configure_sqlite(engine)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    mail.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    celery_init_app(app)
    register_error_handlers(app)
    init_security(app)
    register_template_helpers(app)

    @login_manager.user_loader
    def load_user(session_id: str):
        from app.accounts.services import load_session_user  # core imports no domain at the top

        return load_session_user(session_id)


def _import_models() -> None:
    """Every model module, so that the metadata (and Alembic) sees every table."""
    import app.accounts.models  # noqa: F401
    import app.allowance.models  # noqa: F401
    import app.allowance.tasks  # noqa: F401
    import app.core.audit  # noqa: F401
    import app.core.importing  # noqa: F401
    import app.core.tasks  # noqa: F401
    import app.exams.importers  # noqa: F401  (registers the exam file kinds)
    import app.exams.models  # noqa: F401
    import app.places.models  # noqa: F401
    import app.reminders.models  # noqa: F401
    import app.reminders.tasks  # noqa: F401
    import app.reports.models  # noqa: F401
    import app.training.models  # noqa: F401
    import app.workers.education  # noqa: F401
    import app.workers.models  # noqa: F401
