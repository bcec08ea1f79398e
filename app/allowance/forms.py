from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from app.exams.forms import level_choices

MONTH = Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", message=_l("Give a month as YYYY-MM."))


class ComputeForm(FlaskForm):
    month = StringField(_l("Month"), validators=[DataRequired(), MONTH])


class ActionForm(FlaskForm):
    pass


class RateForm(FlaskForm):
    level = SelectField(_l("Level"), choices=level_choices)
    amount = DecimalField(_l("Amount (yuan per month)"), places=2, validators=[DataRequired(), NumberRange(0, 100000)])
    valid_from = DateField(_l("In force from"), validators=[DataRequired()])
    valid_to = DateField(_l("In force until (blank: open-ended)"), validators=[Optional()])
    district = SelectField(_l("District"), choices=[])


class PolicyForm(FlaskForm):
    valid_from = DateField(_l("In force from"), validators=[DataRequired()])
    registration_required = BooleanField(_l("A registration is required to be paid"))


class HoldForm(FlaskForm):
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=18)])
    month = StringField(_l("Month"), validators=[DataRequired(), MONTH])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])
