"""How the audit log names workers and their post periods (see app/core/audit_text.py)."""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.audit_text import Subject, choice
from app.core.identity import mask_id_number
from app.workers.models import PostType

SEX = {"M": _l("Male"), "F": _l("Female")}


def worker_page(v):
    """The page of the worker a record belongs to (its `worker_id`)."""
    return v.ref("worker_id").page("workers.worker_detail", worker_id=v.get("worker_id"))


def _education(value):
    from app.workers.education import EducationLevel  # here: the audit texts load even before that model exists

    return EducationLevel(value).label


SUBJECTS = {
    "worker": Subject(
        noun=_l("Community worker"),
        name=lambda v: f"{v.get('name', '')}（{mask_id_number(v.get('id_number', ''))}）",
        fields={
            "id_number": _l("ID number"),
            "name": _l("Name"),
            "sex": _l("Sex"),
            "birth_date": _l("Date of birth"),
            "phone": _l("Mobile"),
            "community_id": _l("Community"),
            "street_id": _l("Street / township"),
            "district_id": _l("District"),
            "post_type": _l("Post"),
            "post_start": _l("In post since"),
            "post_end": _l("In post until"),
        },
        words={"id_number": mask_id_number, "sex": lambda v: SEX[v], "post_type": choice(PostType)},
        refs={"community_id": "community", "street_id": "street", "district_id": "district"},
        link=lambda v: v.page("workers.worker_detail", worker_id=v.id),
        search=("name", "phone"),
    ),
    "post_period": Subject(
        noun=_l("Post period"),
        name=lambda v: _(
            "%(worker)s, post from %(start)s", worker=v.ref("worker_id").label, start=v.get("start_date", "")
        ),
        fields={
            "worker_id": _l("Community worker"),
            "community_id": _l("Community"),
            "post_type": _l("Post"),
            "start_date": _l("Start date"),
            "end_date": _l("End date"),
        },
        words={"post_type": choice(PostType)},
        refs={"worker_id": "worker", "community_id": "community"},
        link=worker_page,
    ),
    # The education import also writes one entry for a whole file, with no record.
    "education": Subject(
        noun=_l("Education record"),
        name=lambda v: _("%(worker)s, %(level)s", worker=v.ref("worker_id").label, level=v.shown("level")),
        fields={"worker_id": _l("Community worker"), "level": _l("Education level"), "obtained_on": _l("Obtained on")},
        words={"level": _education},
        refs={"worker_id": "worker"},
        link=worker_page,
    ),
}
