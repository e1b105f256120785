"""Tests of portal.masking: what each mask shows, and that odd input never shows more."""

import pytest

from portal.masking import mask_bank_account, mask_id_number, mask_phone


def test_an_id_number_shows_its_area_code_and_last_four():
    assert mask_id_number("330206199001011234") == "330206********1234"
    assert mask_id_number("33020619900101123X") == "330206********123X"


def test_a_15_digit_id_number_hides_its_middle():
    assert mask_id_number("330206900101123") == "330206*****1123"


def test_spaces_and_dashes_in_an_id_number_do_not_shift_the_mask():
    assert mask_id_number(" 330206 19900101 1234 ") == "330206********1234"


def test_a_phone_shows_its_first_three_and_last_four():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138-1234-5678") == "138****5678"


def test_a_bank_account_shows_its_first_and_last_four_and_hides_its_length():
    assert mask_bank_account("6222021234567890123") == "6222 **** **** 0123"
    assert mask_bank_account("6222 0212 3456 7890") == "6222 **** **** 7890"
    assert mask_bank_account("622202123456") == "6222 **** **** 3456"


@pytest.mark.parametrize("mask", [mask_id_number, mask_phone, mask_bank_account])
@pytest.mark.parametrize("empty", [None, "", "   "])
def test_an_empty_value_masks_to_an_empty_string(mask, empty):
    assert mask(empty) == ""


@pytest.mark.parametrize(
    ("mask", "value", "expected"),
    [
        (mask_id_number, "3302061990", "********90"),
        (mask_id_number, "12345", "*****"),
        (mask_phone, "87654321", "******21"),
        (mask_phone, "1234", "****"),
        (mask_bank_account, "62220212345", "*********45"),
        (mask_bank_account, "7", "*"),
    ],
)
def test_short_values_show_at_most_their_last_two_characters(mask, value, expected):
    assert mask(value) == expected


@pytest.mark.parametrize(
    ("mask", "value", "most_visible"),
    [
        (mask_id_number, "330206199001011234", 10),
        (mask_phone, "13812345678", 7),
        (mask_bank_account, "6" * 30, 8),
    ],
)
def test_no_mask_reveals_more_than_its_rule(mask, value, most_visible):
    # Every prefix of the value, shortest to full length, including odd lengths.
    for length in range(1, len(value) + 1):
        masked = mask(value[:length])
        visible = sum(ch != "*" and not ch.isspace() for ch in masked)
        assert visible <= most_visible, (length, masked)
        assert visible < length, (length, masked)
