from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField


class MakeBatchForm(FlaskForm):
    month = SelectField(_l("Month"), choices=[], validate_choice=True)
