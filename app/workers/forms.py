from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import IdNumber, Mobile
from app.workers.education import EDUCATION_LABELS
from app.workers.models import POST_LABELS


def post_choices():
    return [(p.value, label) for p, label in POST_LABELS.items()]


class PeriodFields:
    community_id = SelectField(_l("Community"), coerce=int, choices=[], validate_choice=True)
    post_type = SelectField(_l("Post"), choices=post_choices)
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    end_date = DateField(_l("End date (blank while in post)"), validators=[Optional()])


class WorkerForm(FlaskForm):
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=18), IdNumber()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    phone = StringField(_l("Mobile"), validators=[Optional(), Length(max=20), Mobile()])


class NewWorkerForm(PeriodFields, WorkerForm):
    pass


class PeriodForm(PeriodFields, FlaskForm):
    pass


class DeleteForm(FlaskForm):
    pass


def education_choices():
    return [(level.value, label) for level, label in EDUCATION_LABELS.items()]


class EducationForm(FlaskForm):
    level = SelectField(_l("Education level"), choices=education_choices)
    obtained_on = DateField(_l("Obtained on (blank if unknown)"), validators=[Optional()])
