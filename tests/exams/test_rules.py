"""The pass rule and the renewal window's month arithmetic, as plain functions."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest

from app.exams import queries
from app.exams.levels import Level
from app.exams.models import ExamResult
from app.exams.queries import RegistrationStatus
from app.exams.rules import DEFAULT_PASS_MARK, passes


def test_a_score_passes_from_the_mark_up_and_the_default_mark_is_60():
    assert Decimal("60") == DEFAULT_PASS_MARK
    assert passes(Decimal("60"))
    assert not passes(Decimal("59.9"))
    assert passes(Decimal("55"), Decimal("55"))
    assert not passes(Decimal("54.9"), Decimal("55"))


def test_the_rule_reads_the_same_as_sql():
    assert str(passes(ExamResult.score, Decimal("55"))) == "exam_result.score >= :score_1"


@pytest.mark.parametrize(
    ("expires_on", "opens_on"),
    [
        (date(2027, 5, 31), date(2027, 2, 28)),  # no 31 February: the window opens on the month's last day
        (date(2028, 5, 31), date(2028, 2, 29)),
        (date(2027, 12, 31), date(2027, 9, 30)),
        (date(2027, 2, 28), date(2026, 11, 28)),
    ],
)
def test_renewal_opens_three_months_before_expiry_clamped_to_the_month_end(expires_on, opens_on):
    qualification = SimpleNamespace(level=Level.intermediate, obtained_on=date(2020, 1, 1))
    registration = SimpleNamespace(level=Level.intermediate, registered_on=date(2024, 1, 1), expires_on=expires_on)
    before = date.fromordinal(opens_on.toordinal() - 1)
    assert queries.registration_status(qualification, [registration], before).status == RegistrationStatus.registered
    assert (
        queries.registration_status(qualification, [registration], opens_on).status == RegistrationStatus.renewal_open
    )
