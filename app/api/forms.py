from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length

from app.api.models import ApiScope


class ApiClientForm(FlaskForm):
    name = StringField(_l("Client name"), validators=[DataRequired(), Length(max=64)])
    scope = SelectField(
        _l("Scope"), choices=[(s.name, s.label) for s in ApiScope], default=ApiScope.read.name, validate_choice=True
    )
    full_ids = BooleanField(_l("May see full ID and account numbers"))
    districts = SelectMultipleField(_l("Districts"), choices=[], validate_choice=True)
    expires_on = DateField(_l("Expires on"), validators=[DataRequired()])


class RevokeForm(FlaskForm):
    """A button: the CSRF token is its only field."""
