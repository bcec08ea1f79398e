from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, StringField
from wtforms.validators import DataRequired, Length


class TermForm(FlaskForm):
    name = StringField(_l("Term name (e.g. 2021届)"), validators=[DataRequired(), Length(max=32)])
    elected_on = DateField(_l("Election date"), validators=[DataRequired()])
