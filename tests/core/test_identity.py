from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.identity import InvalidIdentity, make_id_number, mask_id_number, normalize_mobile, parse_id_number


def test_a_known_valid_number_is_accepted_and_read():
    # 11010519491231002X is the example number from GB 11643 itself.
    rid = parse_id_number("11010519491231002X")
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.sex == "F"


def test_lower_case_x_is_accepted_and_stored_upper_case():
    assert parse_id_number("11010519491231002x").number == "11010519491231002X"


@pytest.mark.parametrize(
    "bad",
    ["11010519491231002Y", "110105194912310021", "1101051949123100", "", "11010519490231002X", "abcdefghijklmnopqr"],
)
def test_bad_numbers_are_refused_with_a_reason(bad, app_ctx):
    with pytest.raises(InvalidIdentity) as info:
        parse_id_number(bad)
    assert str(info.value)


def test_an_old_area_code_is_not_checked_against_the_current_list():
    old = make_id_number("512201", date(1970, 3, 3), 11)  # a Sichuan-era Wanxian code
    assert parse_id_number(old).number == old


@given(st.text(max_size=30))
def test_any_text_either_parses_or_says_why(raw):
    try:
        rid = parse_id_number(raw)
    except InvalidIdentity as exc:
        assert str(exc)
    else:
        assert len(rid.number) == 18 and rid.number == rid.number.upper()


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)), st.integers(0, 999))
def test_every_generated_number_round_trips(birth, seq):
    number = make_id_number("500103", birth, seq)
    rid = parse_id_number(number)
    assert rid.birth_date == birth
    assert rid.sex == ("M" if seq % 2 else "F")


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31)),
    st.integers(0, 999),
    st.integers(0, 17),
    st.sampled_from("0123456789X"),
)
def test_changing_any_one_character_breaks_the_check(birth, seq, position, replacement):
    number = make_id_number("500103", birth, seq)
    if number[position] == replacement or (position < 17 and replacement == "X"):
        return
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(InvalidIdentity):
        parse_id_number(changed)


def test_masking_hides_the_birth_date():
    assert mask_id_number("50010319900517123X") == "500103********123X"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("13812345678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
    ],
)
def test_mobile_numbers_are_normalised(raw, expected):
    assert normalize_mobile(raw) == expected


@pytest.mark.parametrize("raw", ["12812345678", "1381234567", "23812345678", "+85213812345678"])
def test_bad_mobile_numbers_are_refused(raw, app_ctx):
    with pytest.raises(InvalidIdentity):
        normalize_mobile(raw)
