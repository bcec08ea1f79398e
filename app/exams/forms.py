from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from app.core.forms import IdNumber, InRange
from app.exams.levels import LEVEL_LABELS, SUBJECTS


def subject_choices():
    return [(code, f"{code} {zh}") for code, (_lv, zh, _en) in SUBJECTS.items()]


def level_choices():
    return [(lv.value, label) for lv, label in LEVEL_LABELS.items()]


class ExamYearForm(FlaskForm):
    year = DecimalField(_l("Exam year"), places=0, validators=[InRange(1990, 2100)])
    exam_date = DateField(_l("Exam date"), validators=[Optional()])
    results_date = DateField(_l("Results date"), validators=[DataRequired()])
    registration_opens = DateField(_l("Exam registration opens"), validators=[Optional()])
    registration_closes = DateField(_l("Exam registration closes"), validators=[Optional()])
    mark_A1 = DecimalField("A1", places=1, default=60, validators=[InRange(0, 100)])
    mark_A2 = DecimalField("A2", places=1, default=60, validators=[InRange(0, 100)])
    mark_I1 = DecimalField("I1", places=1, default=60, validators=[InRange(0, 100)])
    mark_I2 = DecimalField("I2", places=1, default=60, validators=[InRange(0, 100)])
    mark_I3 = DecimalField("I3", places=1, default=60, validators=[InRange(0, 100)])
    mark_S1 = DecimalField("S1", places=1, default=60, validators=[InRange(0, 100)])


class ResultForm(FlaskForm):
    exam_year = SelectField(_l("Exam year"), coerce=int, choices=[])
    subject = SelectField(_l("Subject"), choices=subject_choices)
    score = DecimalField(_l("Score"), places=1, validators=[InRange(0, 100)])


class ReviewForm(FlaskForm):
    review_date = DateField(_l("Review date"), validators=[DataRequired()])
    result = SelectField(_l("Review result"), choices=[("pass", _l("Passed")), ("fail", _l("Not passed"))])


class CertificateForm(FlaskForm):
    certificate_no = StringField(_l("Certificate number"), validators=[Optional(), Length(max=40)])


class RegistrationForm(FlaskForm):
    level = SelectField(_l("Level"), choices=level_choices)
    registered_on = DateField(_l("Registered on"), validators=[DataRequired()])
    expires_on = DateField(_l("Valid until (blank: three years)"), validators=[Optional()])


class CEForm(FlaskForm):
    date = DateField(_l("Date"), validators=[DataRequired()])
    hours = DecimalField(_l("Hours"), places=1, validators=[InRange("0.1", 200)])
    description = StringField(_l("Training or course attended"), validators=[DataRequired(), Length(max=200)])
    proof = StringField(_l("Proof (certificate or document number)"), validators=[DataRequired(), Length(max=200)])


class MatchForm(FlaskForm):
    id_number = StringField(_l("ID number of the worker"), validators=[DataRequired(), Length(max=18), IdNumber()])


class ActionForm(FlaskForm):
    pass
