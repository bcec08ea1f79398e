from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.places.models import CommunityType


class StreetForm(FlaskForm):
    name = StringField(_l("Street / township"), validators=[DataRequired(), Length(max=64)])


class CommunityForm(FlaskForm):
    street_id = SelectField(_l("Street / township"), coerce=int, choices=[])
    code = StringField(_l("Community code"), validators=[DataRequired(), Length(max=20)])
    name = StringField(_l("Community / village"), validators=[DataRequired(), Length(max=64)])
    community_type = SelectField(
        _l("Community type"),
        choices=[(t.value, t.label) for t in CommunityType],
        coerce=lambda v: v.value if isinstance(v, CommunityType) else v,
        default=CommunityType.urban.value,
    )


class UploadForm(FlaskForm):
    file = FileField(_l("File (.xlsx or .csv)"), validators=[FileRequired()])


class ConfirmImportForm(FlaskForm):
    token = HiddenField(validators=[DataRequired(), Length(max=64)])
