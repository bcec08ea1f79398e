"""Admins keep the API's clients: list them, make one (its token shown once), revoke one."""

import sqlalchemy as sa
from flask import redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.api import services
from app.api.blueprint import pages as bp
from app.api.forms import ApiClientForm, RevokeForm
from app.api.models import ApiCall, ApiClient, ApiScope
from app.core.access import Role, roles_required
from app.core.actions import perform
from app.core.forms import page_number
from app.core.services import RecordNotFound
from app.core.timeutil import local_today
from app.extensions import db
from app.places.queries import all_districts

RECENT_CALLS = 50


def _client(client_id: int) -> ApiClient:
    client = db.session.get(ApiClient, client_id)
    if client is None:
        raise RecordNotFound(client_id)
    return client


@bp.route("/api-clients/")
@roles_required(Role.admin)
def client_list():
    clients = db.session.scalars(sa.select(ApiClient).order_by(ApiClient.revoked_at.is_not(None), ApiClient.name))
    return render_template("api/clients.html", clients=list(clients), today=local_today(), revoke_form=RevokeForm())


@bp.route("/api-clients/new", methods=["GET", "POST"])
@roles_required(Role.admin)
def client_create():
    form = ApiClientForm()
    districts = all_districts()
    form.districts.choices = [(d.code, f"{d.code} {d.name}") for d in districts]
    if form.validate_on_submit():
        ids = [d.id for d in districts if d.code in set(form.districts.data)]
        outcome = perform(
            services.create_client,
            form.name.data,
            ApiScope[form.scope.data],
            form.full_ids.data,
            ids,
            form.expires_on.data,
            current_user.id,
            form=form,
        )
        if outcome:
            client, token = outcome.value
            # The token is shown on this answer only (no redirect: it is never stored anywhere).
            return render_template("api/created.html", client=client, token=token)
    return render_template("api/client_new.html", form=form)


@bp.route("/api-clients/<int:client_id>")
@roles_required(Role.admin)
def client_detail(client_id: int):
    client = _client(client_id)
    page = db.paginate(
        sa.select(ApiCall).where(ApiCall.client_id == client.id).order_by(ApiCall.at.desc(), ApiCall.id.desc()),
        page=page_number(request.args.get("page")),
        per_page=RECENT_CALLS,
        error_out=False,
    )
    return render_template("api/client.html", client=client, page=page, today=local_today(), revoke_form=RevokeForm())


@bp.route("/api-clients/<int:client_id>/revoke", methods=["POST"])
@roles_required(Role.admin)
def client_revoke(client_id: int):
    client = _client(client_id)
    if RevokeForm().validate_on_submit():
        perform(
            services.revoke_client,
            client,
            current_user.id,
            success=_("The token of %(name)s has been revoked: it no longer works.", name=client.name),
        )
    return redirect(url_for("api_pages.client_detail", client_id=client.id))
