from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField
from wtforms.validators import DataRequired, NumberRange


class IncomeForm(FlaskForm):
    district_id = SelectField(_l("District"), coerce=int, choices=[])
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(1990, 2100)])
    income = DecimalField(_l("Urban per-capita disposable income (元 a year)"), places=2, validators=[DataRequired()])
