from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.core.forms import IdNumber


class MakeBatchForm(FlaskForm):
    month = SelectField(_l("Month"), choices=[], validate_choice=True)


class AccountForm(FlaskForm):
    id_number = StringField(_l("ID number"), validators=[DataRequired(), IdNumber()])
    bank = SelectField(_l("Bank"), coerce=int, choices=[], validate_choice=True)
    account_no = StringField(_l("Account number"), validators=[DataRequired(), Length(max=40)])
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()])
