"""Where "back" leads from a page that the top menu does not name: one map for the whole site.

base.html shows the link above the page's content. Pages that draw a breadcrumb of their own
(a worker's record, a session, a run…) are not listed here.
"""

from dataclasses import dataclass

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

# endpoint → (the page one level up, its name)
PARENTS = {
    "accounts.user_create": ("accounts.user_list", _l("Users")),
    "accounts.user_edit": ("accounts.user_list", _l("Users")),
    "accounts.change_password": ("main.home", _l("Overview")),
    "allowance.holds": ("allowance.run_list", _l("Professional allowance")),
    "allowance.rates": ("allowance.run_list", _l("Professional allowance")),
    "exams.review_queue": ("exams.overview", _l("Exams and qualifications")),
    "exams.year_list": ("exams.overview", _l("Exams and qualifications")),
    "exams.year_edit": ("exams.year_list", _l("Exam years")),
    "exams.exam_import": ("exams.overview", _l("Exams and qualifications")),
    "workers.posts_import": ("workers.worker_list", _l("Workers")),
    "workers.education_import": ("workers.worker_list", _l("Workers")),
    "workers.worker_create": ("workers.worker_list", _l("Workers")),
    "workers.worker_edit": ("workers.worker_detail", _lp("navigation", "Worker record")),
    "workers.period_create": ("workers.worker_detail", _lp("navigation", "Worker record")),
    "workers.period_edit": ("workers.worker_detail", _lp("navigation", "Worker record")),
    "payments.batch_detail": ("payments.batch_list", _l("Payments")),
    "payments.account_import": ("payments.accounts", _l("Bank accounts")),
    "payments.account_create": ("payments.accounts", _l("Bank accounts")),
    "payments.return_import": ("payments.batch_detail", _l("Payment batch")),
    "api_pages.client_create": ("api_pages.client_list", _l("API clients")),
    "api_pages.client_detail": ("api_pages.client_list", _l("API clients")),
    "places.places_import": ("places.district_list", _l("Places")),
    "places.community_edit": ("places.district_list", _l("Places")),
    "places.street_create": ("places.district_detail", _l("District")),
    "places.street_edit": ("places.district_list", _l("Places")),
    "reminders.preferences": ("reminders.notice_list", _l("Notices")),
    "reports.pay_floor": ("reports.index", _l("Reports")),
    "reports.income_list": ("reports.pay_floor", _l("Director pay floor")),
    "reports.income_import": ("reports.income_list", _l("District income")),
    "reports.director_pay_import": ("reports.pay_floor", _l("Director pay floor")),
    "training.calendar": ("training.session_list", _l("Training")),
    "training.course_new": ("training.session_list", _l("Training")),
    "training.session_create": ("training.course_detail", _l("Course")),
    "training.session_edit": ("training.session_detail", _l("Training session")),
    "training.checkin": ("training.my_training", _l("My training")),
}


@dataclass(frozen=True)
class BackLink:
    url: str
    label: str


def back_link() -> BackLink | None:
    """The link one level up from the current page, carrying the path's ids the parent needs."""
    parent = PARENTS.get(request.endpoint or "")
    if parent is None:
        return None
    endpoint, label = parent
    if endpoint not in current_app.view_functions:
        return None
    rules = current_app.url_map._rules_by_endpoint.get(endpoint, [])
    values = request.view_args or {}
    for rule in rules:
        if rule.arguments <= values.keys():
            return BackLink(url_for(endpoint, **{k: values[k] for k in rule.arguments}), str(label))
    return None
