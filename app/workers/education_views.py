"""The education file's import pages (upload → preview → confirm), on the workers blueprint."""

from flask import url_for
from flask_babel import gettext as _

from app.core import import_views
from app.core.access import Role, roles_required
from app.places.forms import ConfirmImportForm, UploadForm
from app.workers.blueprint import bp
from app.workers.education_import import EDUCATION_COLUMNS

EDITORS = (Role.coordinator, Role.admin)


@bp.route("/import/education", methods=["GET", "POST"])
@roles_required(*EDITORS)
def education_import():
    return import_views.upload_and_preview(
        "education",
        _("Import education"),
        EDUCATION_COLUMNS,
        UploadForm,
        ConfirmImportForm,
        confirm_url=url_for("workers.education_import_confirm"),
    )


@bp.route("/import/education/confirm", methods=["POST"])
@roles_required(*EDITORS)
def education_import_confirm():
    return import_views.confirm_import("education", ConfirmImportForm)
