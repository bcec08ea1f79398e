from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length

from app.core.forms import InRange


class TargetForm(FlaskForm):
    name = StringField(_l("Plan name"), validators=[DataRequired(), Length(max=80)])
    target = IntegerField(_l("Target (workers)"), validators=[InRange(1, 10_000_000)])
