"""The qualification rules, case by case (DOMAIN.md), on the pure engine."""

from datetime import date

from app.exams.engine import Pass, Review, qualifications_from
from app.exams.levels import Level

RESULTS = {2022: date(2022, 12, 20), 2023: date(2023, 12, 22), 2024: date(2024, 12, 20), 2025: date(2025, 12, 19)}
EXAMS = {2022: date(2022, 10, 15), 2023: date(2023, 10, 28), 2024: date(2024, 10, 26), 2025: date(2025, 10, 25)}


def p(subject, year):
    return Pass(subject, year, RESULTS[year], EXAMS[year])


def test_assistant_needs_both_subjects_in_one_year():
    got = qualifications_from([p("A1", 2024), p("A2", 2024)], [])
    assert got[Level.assistant].obtained_on == RESULTS[2024]
    assert got[Level.assistant].evidence == {"years": {"A1": 2024, "A2": 2024}}


def test_assistant_subjects_passed_in_two_different_years_do_not_qualify():
    assert Level.assistant not in qualifications_from([p("A1", 2023), p("A2", 2024)], [])


def test_assistant_is_obtained_in_the_first_year_that_completes_it():
    got = qualifications_from([p("A1", 2023), p("A1", 2024), p("A2", 2024), p("A2", 2025), p("A1", 2025)], [])
    assert got[Level.assistant].obtained_on == RESULTS[2024]


def test_intermediate_passes_in_two_consecutive_years_qualify_in_the_second():
    got = qualifications_from([p("I1", 2023), p("I2", 2024), p("I3", 2024)], [])
    assert got[Level.intermediate].obtained_on == RESULTS[2024]
    assert got[Level.intermediate].evidence == {"years": {"I1": 2023, "I2": 2024, "I3": 2024}}


def test_intermediate_passes_spread_over_three_years_do_not_combine():
    assert Level.intermediate not in qualifications_from([p("I1", 2022), p("I2", 2023), p("I3", 2024)], [])


def test_intermediate_all_in_one_year():
    got = qualifications_from([p("I1", 2025), p("I2", 2025), p("I3", 2025)], [])
    assert got[Level.intermediate].obtained_on == RESULTS[2025]


def test_intermediate_a_retaken_subject_can_complete_a_later_window():
    got = qualifications_from([p("I1", 2022), p("I2", 2023), p("I1", 2024), p("I3", 2024)], [])
    assert got[Level.intermediate].obtained_on == RESULTS[2024]
    assert got[Level.intermediate].evidence["years"] == {"I1": 2024, "I2": 2023, "I3": 2024}


def test_senior_needs_s1_then_a_passed_review_within_three_years():
    got = qualifications_from([p("S1", 2022)], [Review(date(2025, 6, 1), True)])
    assert got[Level.senior].obtained_on == date(2025, 6, 1)
    assert got[Level.senior].evidence == {"exam_year": 2022, "review": "2025-06-01"}


def test_a_senior_review_more_than_three_years_after_the_exam_does_not_qualify():
    assert Level.senior not in qualifications_from([p("S1", 2022)], [Review(date(2025, 10, 16), True)])


def test_a_failed_review_or_a_review_without_s1_does_not_qualify():
    assert Level.senior not in qualifications_from([p("S1", 2024)], [Review(date(2025, 6, 1), False)])
    assert Level.senior not in qualifications_from([p("A1", 2024)], [Review(date(2025, 6, 1), True)])


def test_a_review_before_the_exam_does_not_count():
    assert Level.senior not in qualifications_from([p("S1", 2024)], [Review(date(2024, 1, 1), True)])


def test_nothing_passed_means_no_qualification():
    assert qualifications_from([], [Review(date(2025, 6, 1), True)]) == {}
