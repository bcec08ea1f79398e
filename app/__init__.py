"""The application factory."""

import os

from flask import Flask

from config import CONFIGS, INSTANCE_DIR


def create_app(config_name: str | None = None, **overrides) -> Flask:
    config_name = config_name or os.environ.get("APP_CONFIG") or "development"
    app = Flask(__name__, instance_path=str(INSTANCE_DIR))
    app.config.from_object(CONFIGS[config_name])
    app.config.update(overrides)
    CONFIGS[config_name].refuse_unsafe(app.config)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment")
    os.makedirs(app.instance_path, exist_ok=True)

    from app.core.logs import init_logging

    init_logging(app)
    from app.core import init_core

    init_core(app)
    _wire_domains()
    from app.core.guard import register_request_guard

    register_request_guard(app)
    from app.core import health

    app.register_blueprint(health.bp)
    _register_blueprints(app)
    return app


def _wire_domains() -> None:
    """Where core meets the domains (core imports none of them): every model and task module,
    so that the metadata, Alembic and Celery see them all; the signed-in user; the CLI's --as."""
    import app.accounts.models  # noqa: F401
    import app.allowance.models  # noqa: F401
    import app.allowance.tasks  # noqa: F401
    import app.exams.importers  # noqa: F401  (registers the exam file kinds)
    import app.exams.models  # noqa: F401
    import app.places.models  # noqa: F401
    import app.reminders.models  # noqa: F401
    import app.reminders.tasks  # noqa: F401
    import app.reports.models  # noqa: F401
    import app.training.models  # noqa: F401
    import app.workers.education  # noqa: F401
    import app.workers.models  # noqa: F401
    from app.accounts.services import load_session_user, user_by_username
    from app.core import cli_helpers
    from app.extensions import login_manager

    login_manager.user_loader(load_session_user)
    cli_helpers.find_user = user_by_username
    from app.allowance import due_reminders as allowance_due
    from app.exams import due_reminders as exams_due
    from app.reminders import due
    from app.training import due_reminders as training_due

    for finder in (training_due.find_due, exams_due.find_due, allowance_due.find_due):
        due.register_finder(finder)
    from app.exams import queries as exam_queries
    from app.exams.levels import Level
    from app.reminders import texts
    from app.training import queries as training_queries

    exam_queries.completed_hours = training_queries.completed_hours
    exam_queries.completed_hours_by_registration = training_queries.completed_hours_by_registration

    texts.level_label = lambda value: Level(value).label
    from app.exams.record_section import exam_section
    from app.workers.record import register_section

    register_section(exam_section)


def _register_blueprints(app: Flask) -> None:
    from app.accounts import bp as accounts_bp
    from app.allowance import bp as allowance_bp
    from app.audit import bp as audit_bp
    from app.exams import bp as exams_bp
    from app.main import bp as main_bp
    from app.payments import bp as payments_bp
    from app.places import bp as places_bp
    from app.reminders import bp as reminders_bp
    from app.reports import bp as reports_bp
    from app.training import bp as training_bp
    from app.workers import bp as workers_bp

    for bp in (
        main_bp,
        accounts_bp,
        places_bp,
        workers_bp,
        training_bp,
        exams_bp,
        allowance_bp,
        reminders_bp,
        audit_bp,
        reports_bp,
        payments_bp,
    ):
        app.register_blueprint(bp)

    from app.accounts.cli import users_cli
    from app.allowance.cli import allowance_cli
    from app.demo.cli import seed_demo_command
    from app.exams.cli import exams_cli
    from app.payments.cli import payments_cli
    from app.places.cli import places_cli
    from app.reports.cli import reports_cli
    from app.workers.cli import workers_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(places_cli)
    app.cli.add_command(workers_cli)
    app.cli.add_command(exams_cli)
    app.cli.add_command(allowance_cli)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(reports_cli)
    app.cli.add_command(payments_cli)

    from app.workers.education_import import register_education_import

    register_education_import()
    from app.payments.importer import register_account_import

    register_account_import()
