from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from app.core import import_views
from app.core.access import STAFF_ROLES, Role, roles_required
from app.core.actions import perform
from app.extensions import db
from app.places import queries, services
from app.places.blueprint import bp
from app.places.forms import CommunityForm, ConfirmImportForm, StreetForm, UploadForm
from app.places.importer import PLACES_COLUMNS
from app.places.models import Community, District, Street


@bp.route("/")
@roles_required(*STAFF_ROLES)
def district_list():
    return render_template("places/districts.html", districts=queries.all_districts(), counts=queries.place_counts())


@bp.route("/districts/<int:district_id>", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def district_detail(district_id: int):
    district = db.get_or_404(District, district_id)
    form = StreetForm(prefix="street")
    return render_template(
        "places/district.html",
        district=district,
        form=form,
        communities=queries.communities_in([s.id for s in district.streets]),
    )


@bp.route("/districts/<int:district_id>/streets", methods=["POST"])
@roles_required(Role.admin)
def street_create(district_id: int):
    district = db.get_or_404(District, district_id)
    form = StreetForm(prefix="street")
    if form.validate_on_submit() and perform(
        services.save_street, None, district.id, form.name.data, form=form, success=_("The street has been added.")
    ):
        return redirect(url_for("places.district_detail", district_id=district.id))
    return render_template(
        "places/district.html",
        district=district,
        form=form,
        communities=queries.communities_in([s.id for s in district.streets]),
    ), 422


@bp.route("/streets/<int:street_id>", methods=["GET", "POST"])
@roles_required(Role.admin)
def street_edit(street_id: int):
    street = db.get_or_404(Street, street_id)
    form = StreetForm(obj=street)
    if form.validate_on_submit() and perform(
        services.save_street,
        street,
        street.district_id,
        form.name.data,
        form=form,
        success=_("The street has been saved."),
    ):
        return redirect(url_for("places.district_detail", district_id=street.district_id))
    return render_template("places/street_form.html", form=form, street=street)


def _community_form(district: District, community: Community | None = None) -> CommunityForm:
    form = CommunityForm(obj=community)
    form.street_id.choices = [(s.id, s.name) for s in district.streets]
    return form


@bp.route("/districts/<int:district_id>/communities/new", methods=["GET", "POST"])
@bp.route("/communities/<int:community_id>", methods=["GET", "POST"])
@roles_required(Role.admin)
def community_edit(district_id: int | None = None, community_id: int | None = None):
    community = db.get_or_404(Community, community_id) if community_id else None
    district = community.district if community else db.get_or_404(District, district_id)
    form = _community_form(district, community)
    if not form.street_id.choices:
        flash(_("Add a street to this district first."), "warning")
        return redirect(url_for("places.district_detail", district_id=district.id))
    if form.validate_on_submit():
        street = db.get_or_404(Street, form.street_id.data)
        if perform(
            services.save_community,
            community,
            street,
            form.code.data,
            form.name.data,
            form.community_type.data,
            form=form,
            success=_("The community has been saved."),
        ):
            return redirect(url_for("places.district_detail", district_id=district.id))
    return render_template("places/community_form.html", form=form, community=community, district=district)


@bp.route("/import", methods=["GET", "POST"])
@roles_required(Role.admin)
def places_import():
    return import_views.upload_and_preview(
        "places",
        _("Import places"),
        PLACES_COLUMNS,
        UploadForm,
        ConfirmImportForm,
        confirm_url=url_for("places.places_import_confirm"),
    )


@bp.route("/import/confirm", methods=["POST"])
@roles_required(Role.admin)
def places_import_confirm():
    return import_views.confirm_import("places", ConfirmImportForm)
