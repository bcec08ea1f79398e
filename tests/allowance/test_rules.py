"""DOMAIN.md's allowance rules and worked examples, on the pure rules."""

from datetime import date
from decimal import Decimal

from app.allowance.rules import Covered, Held, Ineligible, Month, Post, Rate, compute, money, rate_in_force
from app.exams.levels import Level

A, B = 1, 2  # two districts
CITY = [
    Rate(1, Level.local, None, Decimal("100"), date(2000, 1, 1), None),
    Rate(2, Level.assistant, None, Decimal("200"), date(2000, 1, 1), None),
    Rate(3, Level.intermediate, None, Decimal("300"), date(2000, 1, 1), None),
    Rate(4, Level.senior, None, Decimal("500"), date(2000, 1, 1), None),
]
ALWAYS = Covered(Level.assistant, date(2024, 1, 1), date(2029, 12, 31))


def post(start, end=None, district=A):
    return Post(start, end, district, district * 10, district * 100)


def test_start_mid_month_april_has_30_days():
    line = compute(
        Month.of(2026, 4),
        [post(date(2026, 4, 10))],
        [Held(Level.assistant, date(2024, 12, 20), "Z1")],
        [ALWAYS],
        CITY,
        True,
    )
    assert (line.eligible_days, line.days_in_month, line.amount) == (21, 30, Decimal("140.00"))
    assert line.formula == "200.00 × 21/30 = 140.00"
    assert line.certificate_no == "Z1" and line.rate_id == 2


def test_end_mid_month():
    line = compute(
        Month.of(2026, 3),
        [post(date(2020, 1, 1), date(2026, 3, 10))],
        [Held(Level.assistant, date(2024, 12, 20), None)],
        [ALWAYS],
        CITY,
        True,
    )
    assert line.amount == money(Decimal(200) * 10 / 31) == Decimal("64.52")


def test_a_registration_that_lapses_and_is_renewed_mid_month():
    covered = [
        Covered(Level.assistant, date(2023, 6, 15), date(2026, 6, 14)),
        Covered(Level.assistant, date(2026, 6, 25), date(2029, 6, 24)),
    ]
    line = compute(
        Month.of(2026, 6),
        [post(date(2020, 1, 1))],
        [Held(Level.assistant, date(2023, 1, 1), None)],
        covered,
        CITY,
        True,
    )
    assert (line.eligible_days, line.amount) == (20, Decimal("133.33"))


def test_a_higher_level_obtained_mid_month_is_paid_from_the_next_month():
    held = [Held(Level.assistant, date(2023, 1, 1), None), Held(Level.intermediate, date(2026, 5, 12), None)]
    covered = [ALWAYS, Covered(Level.intermediate, date(2026, 5, 20), date(2029, 5, 19))]
    may = compute(Month.of(2026, 5), [post(date(2020, 1, 1))], held, covered, CITY, True)
    june = compute(Month.of(2026, 6), [post(date(2020, 1, 1))], held, covered, CITY, True)
    assert (may.level, may.amount) == (Level.assistant, Decimal("200.00"))
    assert (june.level, june.amount) == (Level.intermediate, Decimal("300.00"))


def test_a_transfer_takes_the_rate_of_the_district_on_the_last_eligible_day():
    rates = [*CITY, Rate(9, Level.intermediate, B, Decimal("320"), date(2025, 1, 1), None)]
    posts = [post(date(2020, 1, 1), date(2026, 5, 19), A), post(date(2026, 5, 20), None, B)]
    line = compute(
        Month.of(2026, 5),
        posts,
        [Held(Level.intermediate, date(2024, 1, 1), None)],
        [Covered(Level.intermediate, date(2024, 2, 1), date(2027, 1, 31))],
        rates,
        True,
    )
    assert line.formula == "320.00 × 31/31 = 320.00" and line.district_id == B


def test_february_of_a_leap_year():
    line = compute(
        Month.of(2028, 2),
        [post(date(2028, 2, 15))],
        [Held(Level.assistant, date(2024, 12, 20), None)],
        [ALWAYS],
        CITY,
        True,
    )
    assert (line.eligible_days, line.days_in_month, line.amount) == (15, 29, Decimal("103.45"))


def test_a_rate_change_the_row_in_force_on_the_first_applies_to_the_whole_month():
    rates = [
        *CITY,
        Rate(10, Level.assistant, None, Decimal("260"), date(2026, 7, 1), None),
        Rate(11, Level.assistant, None, Decimal("999"), date(2026, 7, 15), None),
    ]
    july = compute(
        Month.of(2026, 7),
        [post(date(2020, 1, 1))],
        [Held(Level.assistant, date(2024, 1, 1), None)],
        [ALWAYS],
        rates,
        True,
    )
    june = compute(
        Month.of(2026, 6),
        [post(date(2020, 1, 1))],
        [Held(Level.assistant, date(2024, 1, 1), None)],
        [ALWAYS],
        rates,
        True,
    )
    assert july.amount == Decimal("260.00") and june.amount == Decimal("200.00")


def test_a_district_override_beats_the_city_wide_row_and_a_closed_row_stops():
    rates = [*CITY, Rate(12, Level.assistant, A, Decimal("230"), date(2026, 1, 1), date(2026, 6, 30))]
    assert rate_in_force(rates, Level.assistant, A, date(2026, 6, 1)).amount == Decimal("230")
    assert rate_in_force(rates, Level.assistant, A, date(2026, 7, 1)).amount == Decimal("200")
    assert rate_in_force(rates, Level.assistant, B, date(2026, 6, 1)).amount == Decimal("200")


def test_a_hold_keeps_the_line_with_zero_and_the_reason():
    line = compute(
        Month.of(2026, 4),
        [post(date(2020, 1, 1))],
        [Held(Level.assistant, date(2024, 1, 1), None)],
        [ALWAYS],
        CITY,
        True,
        hold_reason="核查中",
    )
    assert line.held and line.amount == Decimal("0.00") and line.hold_reason == "核查中"
    assert line.formula == "200.00 × 30/30 = 200.00 → 0.00"


def test_no_registration_no_allowance_unless_the_policy_does_not_require_it():
    args = (Month.of(2026, 4), [post(date(2020, 1, 1))], [Held(Level.assistant, date(2024, 1, 1), None)], [], CITY)
    assert compute(*args, True).ineligible == Ineligible.no_registration
    assert compute(*args, False).amount == Decimal("200.00")


def test_not_in_post_and_no_qualification():
    held = [Held(Level.assistant, date(2024, 1, 1), None)]
    assert (
        compute(Month.of(2026, 4), [post(date(2026, 5, 1))], held, [ALWAYS], CITY, True).ineligible
        == Ineligible.not_in_post
    )
    assert (
        compute(Month.of(2026, 4), [post(date(2020, 1, 1))], [], [], CITY, True).ineligible
        == Ineligible.no_qualification
    )


def test_month_arithmetic():
    assert str(Month.parse("2026-01").shift(-1)) == "2025-12" and Month.parse("2026-12").shift(1).first == date(
        2027, 1, 1
    )
    assert Month.parse("2028-02").days == 29 and Month.parse("2026-02").days == 28
