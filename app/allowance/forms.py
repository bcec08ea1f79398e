from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from app.allowance.rules import Month
from app.core.forms import IdNumber
from app.exams.forms import level_choices


def valid_month(_form, field):
    """A real month as YYYY-MM (the services then check it is one that can be computed)."""
    try:
        Month.parse(field.data)
    except ValueError:
        raise ValidationError(_l("Give a month as YYYY-MM.")) from None


def amount_in_range(_form, field):
    """0 to 100,000 yuan a month (a rate of 0 is allowed; NaN and infinity are not numbers here)."""
    value = field.data
    if value is None or not value.is_finite() or not 0 <= value <= 100000:
        raise ValidationError(_l("Give an amount from %(min)s to %(max)s yuan.", min=0, max=100000))


class ComputeForm(FlaskForm):
    month = StringField(_l("Month"), validators=[DataRequired(), valid_month])


class ActionForm(FlaskForm):
    pass


class RateForm(FlaskForm):
    level = SelectField(_l("Level"), choices=level_choices)
    amount = DecimalField(_l("Amount (yuan per month)"), places=2, validators=[InputRequired(), amount_in_range])
    valid_from = DateField(_l("In force from"), validators=[DataRequired()])
    valid_to = DateField(_l("In force until (blank: open-ended)"), validators=[Optional()])
    district = SelectField(_l("District"), choices=[])


class EndRateForm(FlaskForm):
    valid_to = DateField(_l("Last day in force"), validators=[DataRequired()])


class SupersedeRateForm(FlaskForm):
    amount = DecimalField(_l("New amount"), places=2, validators=[InputRequired(), amount_in_range])
    valid_from = DateField(_l("From"), validators=[DataRequired()])


class PolicyForm(FlaskForm):
    valid_from = DateField(_l("In force from"), validators=[DataRequired()])
    registration_required = BooleanField(_l("A registration is required to be paid"))


class HoldForm(FlaskForm):
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=18), IdNumber()])
    month = StringField(_l("Month"), validators=[DataRequired(), valid_month])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=200)])
