import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.core.forms import DigitCode, IdNumber, InRange
from app.core.timeutil import LOCAL_TZ
from app.exams.forms import level_choices
from app.training.models import TRACK_LABELS

MEETING_LINE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2})\s+(\d{1,2}:\d{2})\s*[-–~]\s*(\d{1,2}:\d{2})\s*$", re.ASCII)


def parse_meetings(text: str) -> list[tuple[datetime, datetime]]:
    """One meeting a line, "YYYY-MM-DD HH:MM-HH:MM" in Beijing time; raises ValueError(line)."""
    meetings = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        match = MEETING_LINE.match(line)
        if not match:
            raise ValueError(number)
        day, start, end = match.groups()
        try:
            starts = datetime.strptime(f"{day} {start}", "%Y-%m-%d %H:%M").replace(tzinfo=LOCAL_TZ)
            ends = datetime.strptime(f"{day} {end}", "%Y-%m-%d %H:%M").replace(tzinfo=LOCAL_TZ)
        except ValueError:
            raise ValueError(number) from None
        meetings.append((starts, ends))
    return meetings


class CourseForm(FlaskForm):
    track = SelectField(_l("Track"), choices=lambda: [(t.value, label) for t, label in TRACK_LABELS.items()])
    target_level = SelectField(
        _l("Level it prepares for (pre-exam training)"), choices=lambda: [("", "—"), *level_choices()]
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=4000)])
    credit_hours = DecimalField(_l("Credit hours"), places=1, validators=[InRange("0.1", 500)])
    threshold = DecimalField(
        _l("Completion threshold (percentage of meetings attended)"),
        places=0,
        default=80,
        validators=[InRange(1, 100)],
    )


class SessionForm(FlaskForm):
    name = StringField(_l("Session name"), validators=[DataRequired(), Length(max=80)])
    venue = StringField(_l("Venue"), validators=[DataRequired(), Length(max=120)])
    capacity = IntegerField(_l("Capacity"), validators=[InRange(1, 10000)])
    district_id = SelectField(_l("Organised for"), coerce=lambda v: int(v) if v else None, choices=[])
    enrol_opens = DateTimeLocalField(_l("Enrolment opens"), validators=[DataRequired()])
    enrol_closes = DateTimeLocalField(_l("Enrolment closes"), validators=[DataRequired()])
    meetings = TextAreaField(
        _l("Meetings, one a line: YYYY-MM-DD HH:MM-HH:MM (Beijing time)"), validators=[DataRequired()]
    )

    def validate_meetings(self, field):
        try:
            self.parsed_meetings = parse_meetings(field.data)
        except ValueError as exc:
            raise ValidationError(_l("Line %(n)s is not of the form 2026-12-01 09:00-11:30.", n=exc.args[0])) from None


class EnrolForm(FlaskForm):
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=18), IdNumber()])


def _optional_id(value):
    return int(value) if value not in (None, "") else None


class BulkEnrolForm(FlaskForm):
    """The filter of "enrol everyone who matches"; choices are the user's districts, streets and
    communities (set by the view). Sent once to preview the count, then with confirm=1."""

    district = SelectField(_l("District"), coerce=_optional_id, choices=[])
    street = SelectField(_l("Street / township"), coerce=_optional_id, choices=[])
    community = SelectField(_l("Community"), coerce=_optional_id, choices=[])
    post = SelectField(_l("Post"), choices=[])
    not_qualified = SelectField(
        _l("Only workers not yet qualified at the target level"), choices=[("", _l("No")), ("y", _l("Yes"))]
    )
    confirm = HiddenField()


class CheckinForm(FlaskForm):
    code = StringField(_l("Check-in code"), validators=[DataRequired(), Length(max=8), DigitCode(6)])


class ActionForm(FlaskForm):
    pass
