from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange


class TargetForm(FlaskForm):
    name = StringField(_l("Plan name"), validators=[DataRequired(), Length(max=80)])
    target = IntegerField(_l("Target (workers)"), validators=[DataRequired(), NumberRange(min=1, max=10_000_000)])
