from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from app.core.access import ROLE_LABELS
from app.core.forms import IdNumber


class LoginForm(FlaskForm):
    login = StringField(_l("User name, ID number or mobile"), validators=[DataRequired(), Length(max=64)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in"))


class ForgotPasswordForm(FlaskForm):
    login = StringField(_l("User name, ID number or mobile"), validators=[DataRequired(), Length(max=64)])


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two new passwords differ."))],
    )


def _role_choices():
    return [(role.value, label) for role, label in ROLE_LABELS.items()]


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(min=3, max=64)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=64)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=255)])
    role = SelectField(_l("Role"), choices=_role_choices)
    districts = SelectMultipleField(_l("Districts"), choices=[], validate_choice=True)
    city_wide = BooleanField(_l("City-wide"))
    worker_id_number = StringField(_l("Linked worker's ID number"), validators=[Optional(), Length(max=18), IdNumber()])
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Initial password"), validators=[Optional(), Length(max=200)])


class ResetPasswordForm(FlaskForm):
    temporary_password = PasswordField(_l("Temporary password"), validators=[DataRequired(), Length(max=200)])


class LocaleForm(FlaskForm):
    pass
