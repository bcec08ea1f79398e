"""What several training pages share: the forms' pick lists (limited to the user's districts),
and turning the session form and the bulk filter into what the services and queries take."""

from flask_babel import gettext as _

from app.core.access import district_scope
from app.core.timeutil import LOCAL_TZ
from app.places.queries import communities_in, districts_for, streets_in
from app.training.enrolment_queries import BulkFilter
from app.training.forms import BulkEnrolForm, SessionForm
from app.training.schedule import SessionData
from app.workers.models import POST_LABELS, PostType


def session_data(form: SessionForm) -> SessionData:
    """The form's fields, the enrolment window in Beijing time."""
    return SessionData(
        name=form.name.data,
        venue=form.venue.data,
        capacity=form.capacity.data,
        district_id=form.district_id.data,
        enrol_opens=form.enrol_opens.data.replace(tzinfo=LOCAL_TZ),
        enrol_closes=form.enrol_closes.data.replace(tzinfo=LOCAL_TZ),
        meetings=form.parsed_meetings,
    )


def district_choices(form: SessionForm, user) -> None:
    """The user's districts; city-wide (no district) only for city-wide staff."""
    choices = [(str(d.id), d.name) for d in districts_for(user)]
    if district_scope(user) is None:
        choices.insert(0, ("", _("City-wide")))
    form.district_id.choices = choices


def bulk_form(user) -> BulkEnrolForm:
    """The filter, with pick lists limited to the user's districts and their streets and communities."""
    form = BulkEnrolForm(prefix="bulk")
    districts = districts_for(user)
    names = {d.id: d.name for d in districts}
    streets = streets_in(list(names))
    street_names = {s.id: f"{names[s.district_id]} · {s.name}" for s in streets}
    form.district.choices = [("", _("Any district"))] + [(str(d.id), d.name) for d in districts]
    form.street.choices = [("", _("Any street"))] + [(str(i), label) for i, label in street_names.items()]
    form.community.choices = [("", _("Any community"))] + [
        (str(c.id), f"{street_names[c.street_id]} · {c.name}") for c in communities_in(list(street_names))
    ]
    form.post.choices = [("", _("Any post"))] + [(p.value, label) for p, label in POST_LABELS.items()]
    return form


def bulk_filter(form: BulkEnrolForm) -> BulkFilter:
    return BulkFilter(
        district_id=form.district.data,
        street_id=form.street.data,
        community_id=form.community.data,
        post=PostType(form.post.data) if form.post.data else None,
        not_qualified=bool(form.not_qualified.data),
    )
