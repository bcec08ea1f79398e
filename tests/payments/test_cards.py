import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.payments.cards import luhn_ok, mask_card_number, parse_card_number

digits = st.text(alphabet="0123456789", min_size=15, max_size=18)


def _complete(body: str) -> str:
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


@settings(max_examples=200, derandomize=True)
@given(digits, st.data())
def test_exactly_one_check_digit_completes_a_number_and_any_single_digit_change_is_caught(body, data):
    number = _complete(body)
    assert sum(luhn_ok(body + d) for d in "0123456789") == 1
    assert parse_card_number(number) == number
    position = data.draw(st.integers(0, len(number) - 1))
    other = data.draw(st.sampled_from([d for d in "0123456789" if d != number[position]]))
    changed = number[:position] + other + number[position + 1 :]
    assert not luhn_ok(changed)


def test_known_numbers():
    assert luhn_ok("4111111111111111")  # the well-known test Visa number
    assert not luhn_ok("4111111111111112")


@pytest.mark.parametrize(
    "raw",
    [
        "411111111111111",
        "41111111111111111111",
        "4111111111111112",
        "４１１１１１１１１１１１１１１１",
        "4111-abcd-1111-1111",
        "",
    ],
)
def test_bad_numbers_are_refused_with_a_reason(app_ctx, raw):
    with pytest.raises(ValueError):
        parse_card_number(raw)


def test_spaces_and_dashes_are_dropped_and_lists_show_the_number_masked(app_ctx):
    assert parse_card_number("4111 1111-1111 1111") == "4111111111111111"
    assert mask_card_number("6222021234567890128") == "6222 **** **** 0128"
