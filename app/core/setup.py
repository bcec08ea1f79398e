"""Wiring shared by every domain: extensions, Celery, errors, templates, security."""

from flask import Flask

import app.core.audit
import app.core.importing
import app.core.tasks  # noqa: F401  (core's own models and tasks; the factory imports every domain's)
from app.core.celery import celery_init_app
from app.core.errors import register_error_handlers
from app.core.locale import init_babel
from app.core.security import init_security
from app.core.sqlite import configure_sqlite
from app.core.task_runs import record_task_runs
from app.core.templating import register_template_helpers
from app.extensions import babel, csrf, db, limiter, login_manager, mail, migrate
from config import BASE_DIR


def init_core(app: Flask) -> None:
    db.init_app(app)
    with app.app_context():
        for engine in db.engines.values():
            configure_sqlite(engine)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True, compare_type=True)
    csrf.init_app(app)
    init_babel(app, babel)
    mail.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    celery_init_app(app)
    record_task_runs()
    register_error_handlers(app)
    init_security(app)
    register_template_helpers(app)
