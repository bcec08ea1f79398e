"""Where the parts meet. Core imports no domain; this module imports them all: every model and
task module (so the metadata, Alembic and Celery see them), each domain's views, CLI groups and
import kinds, and the registries through which a lower layer reaches a higher one (the signed-in
user, the CLI's --as, the due-reminder finders, the sections of a worker's record)."""

import os

from flask import Flask

import app.accounts.models
import app.allowance.models
import app.allowance.tasks
import app.api.document  # binds the API's OpenAPI document and adds its pages
import app.api.models
import app.exams.importers  # registers the exam file kinds
import app.exams.models
import app.places.models
import app.reminders.models
import app.reminders.tasks
import app.reports.models
import app.reports.pay_floor_models
import app.reports.progress_models
import app.training.models
import app.workers.education
import app.workers.models  # noqa: F401  (the lines above: imported for what they register)
from app.accounts import views as accounts_views
from app.accounts.cli import users_cli
from app.accounts.services import load_session_user, user_by_username
from app.allowance import due_reminders as allowance_due
from app.allowance import gauges as allowance_gauges
from app.allowance import views as allowance_views
from app.allowance.cli import allowance_cli
from app.allowance.tasks import requeue_stalled_parts
from app.api import admin_views as api_admin_views
from app.api import audit_text as api_audit_text
from app.api import retention as api_retention
from app.api import views as api_views
from app.audit import describe as audit_describe
from app.audit import views as audit_views
from app.core import cli_helpers, health
from app.core.backup_cli import backup_cli
from app.core.guard import register_request_guard
from app.core.logs import init_logging
from app.core.metrics import init_metrics, register_gauge
from app.core.reaper import register as register_reaper
from app.core.setup import init_core
from app.demo.cli import seed_demo_command
from app.exams import due_reminders as exams_due
from app.exams import queries as exam_queries
from app.exams import views as exams_views
from app.exams.cli import exams_cli
from app.exams.levels import Level
from app.exams.record_section import exam_section
from app.extensions import login_manager
from app.main import views as main_views
from app.main import views_system as main_system_views
from app.payments import views as payments_views
from app.payments import views_bank_templates as bank_template_views
from app.payments import views_statements as payment_statement_views
from app.payments.cli import payments_cli
from app.payments.importer import register_account_import
from app.payments.returns import register_return_import
from app.places import views as places_views
from app.places.cli import places_cli
from app.reminders import due, texts
from app.reminders import gauges as reminders_gauges
from app.reminders import views as reminders_views
from app.reports import views as reports_views
from app.reports import views_pay_floor as pay_floor_views
from app.reports import views_progress
from app.reports.cli import reports_cli
from app.reports.director_pay_import import register_pay_import
from app.reports.income_import import register_income_import
from app.training import due_reminders as training_due
from app.training import queries as training_queries
from app.training import views as training_views
from app.workers import education_views
from app.workers import views as workers_views
from app.workers.cli import workers_cli
from app.workers.education_import import register_education_import
from app.workers.education_records import education_section
from app.workers.record import register_section
from config import CONFIGS, INSTANCE_DIR

# Each module adds its routes to its domain's blueprint when imported (above).
VIEW_MODULES = (
    main_views,
    main_system_views,
    accounts_views,
    places_views,
    workers_views,
    education_views,
    training_views,
    exams_views,
    allowance_views,
    reminders_views,
    audit_views,
    reports_views,
    views_progress,
    pay_floor_views,
    payments_views,
    payment_statement_views,
    bank_template_views,
    api_views,
    api_admin_views,
)
CLI_GROUPS = (
    users_cli,
    places_cli,
    workers_cli,
    exams_cli,
    allowance_cli,
    seed_demo_command,
    reports_cli,
    payments_cli,
    backup_cli,
)


def build_app(config_name: str | None = None, **overrides) -> Flask:
    config_name = config_name or os.environ.get("APP_CONFIG") or "development"
    flask_app = Flask("app", instance_path=str(INSTANCE_DIR))
    flask_app.config.from_object(CONFIGS[config_name])
    flask_app.config.update(overrides)
    CONFIGS[config_name].refuse_unsafe(flask_app.config)
    if not flask_app.config.get("SECRET_KEY"):
        raise RuntimeError("SECRET_KEY must be set in the environment")
    os.makedirs(flask_app.instance_path, exist_ok=True)

    init_logging(flask_app)
    init_core(flask_app)
    wire_domains()
    register_request_guard(flask_app)
    flask_app.register_blueprint(health.bp)
    init_metrics(flask_app)
    for module in VIEW_MODULES:
        if module.bp.name not in flask_app.blueprints:
            flask_app.register_blueprint(module.bp)
    for group in CLI_GROUPS:
        flask_app.cli.add_command(group)
    return flask_app


def wire_domains() -> None:
    login_manager.user_loader(load_session_user)
    cli_helpers.find_user = user_by_username
    for finder in (training_due.find_due, exams_due.find_due, allowance_due.find_due):
        due.register_finder(finder)
    exam_queries.completed_hours = training_queries.completed_hours
    exam_queries.completed_hours_by_registration = training_queries.completed_hours_by_registration
    texts.level_label = lambda value: Level(value).label
    register_section(education_section)
    register_section(exam_section)
    register_education_import()
    register_account_import()
    audit_describe.SUBJECTS.update(api_audit_text.SUBJECTS)  # the API sits beside the audit pages, not below
    register_return_import()
    register_income_import()
    register_pay_import()
    register_reaper(requeue_stalled_parts)
    register_reaper(api_retention.purge_old_calls)  # not work queued again: old API calls deleted
    register_gauge(
        "socialwork_deliveries",
        "Reminder deliveries by state and channel.",
        reminders_gauges.deliveries_by_state,
        ("state", "channel"),
    )
    register_gauge(
        "socialwork_allowance_last_locked_month",
        "The last locked allowance month as YYYYMM (0: none yet).",
        allowance_gauges.last_locked_month,
    )
    register_gauge(
        "socialwork_allowance_last_locked_timestamp_seconds",
        "When the last locked allowance month was locked (Unix time; 0: none yet).",
        allowance_gauges.last_locked_at,
    )
