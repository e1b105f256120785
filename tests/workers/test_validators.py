"""Tests of workers.validators: ID numbers, ages, phones, USCCs, bank accounts and spreadsheet values."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from workers import validators as v

# GB 11643-1999, written out here so that the tests do not trust the code (or stdnum) they test.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# GB 32100-2015.
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

TODAY = datetime.date(2025, 6, 1)


def id_number(first17: str) -> str:
    assert len(first17) == 17
    return first17 + ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def wrong_check(number: str) -> str:
    return number[:17] + ("1" if number[17] != "1" else "2")


def uscc(first17: str) -> str:
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return first17 + USCC_ALPHABET[(31 - total % 31) % 31]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def code_of(excinfo) -> str:
    return excinfo.value.code


def english(excinfo) -> str:
    with translation.override("en"):
        return " ".join(excinfo.value.messages)


# --- ID numbers -----------------------------------------------------------------------------------------


def test_a_valid_id_number_gives_its_birth_date_and_gender():
    assert v.validate_id_number(id_number("33020619900101123"), today=TODAY) == (
        datetime.date(1990, 1, 1),
        "M",
    )
    assert v.validate_id_number(id_number("33020619900101124"), today=TODAY) == (
        datetime.date(1990, 1, 1),
        "F",
    )


def test_the_check_digit_helper_of_the_tests_agrees_with_a_published_example():
    # The example number from python-stdnum's documentation, checked by hand: sum 151, 151 % 11 = 8 -> '1'.
    assert id_number("36042619910101007") == "360426199101010071"


def _id_ending_in_x() -> str:
    for sequence in range(1000):
        number = id_number(f"33020619850315{sequence:03d}")
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives X")


def test_a_lower_case_x_is_normalised_and_accepted():
    number = _id_ending_in_x()
    typed = number[:17] + "x"
    assert v.normalise_id_number(typed) == number
    assert v.validate_id_number(v.normalise_id_number(typed), today=TODAY)[0] == datetime.date(1985, 3, 15)


def test_the_validator_itself_does_not_accept_an_unnormalised_x():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_id_number(_id_ending_in_x()[:17] + "x", today=TODAY)
    assert code_of(excinfo) == "characters"


def test_full_width_digits_and_spaces_are_normalised():
    number = id_number("33020619900101123")
    typed = " " + full_width(number[:6]) + "\u3000" + full_width(number[6:]) + "\u200b "
    assert v.normalise_id_number(typed) == number
    assert v.normalise_id_number(None) == ""


@pytest.mark.parametrize(
    ("first17", "birth"),
    [
        ("33028219730612001", datetime.date(1973, 6, 12)),  # Cixi's 330282 dates from 1988
        ("33020419650101002", datetime.date(1965, 1, 1)),  # 江东区, retired in 2016
        ("33028319851111003", datetime.date(1985, 11, 11)),  # 奉化市, retired in 2016
        ("33022719980815004", datetime.date(1998, 8, 15)),  # 鄞县, retired in 2002
    ],
    ids=["cixi-1973", "jiangdong", "fenghua-city", "yin-county"],
)
def test_real_numbers_with_codes_created_or_retired_later_are_accepted(first17, birth):
    assert v.validate_id_number(id_number(first17), today=TODAY)[0] == birth


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("", "length"),
        ("33020619900101123", "length"),
        (id_number("33020619900101123") + "4", "length"),
        ("3302061990010A1231", "characters"),
        ("X30206199001011234", "characters"),
        ("33020619900101123Y", "characters"),
        (id_number("99020619900101123"), "province"),
        (id_number("00020619900101123"), "province"),
        (id_number("39020619900101123"), "province"),
        (id_number("33020619900230123"), "date"),
        (id_number("33020619901301123"), "date"),
        (id_number("33020618991231123"), "date"),
        (id_number("33020620250602123"), "future"),
        (wrong_check(id_number("33020619900101123")), "checksum"),
    ],
    ids=[
        "empty",
        "17-chars",
        "19-chars",
        "letter-inside",
        "x-first",
        "bad-last",
        "province-99",
        "province-00",
        "province-39",
        "feb-30",
        "month-13",
        "before-1900",
        "future",
        "checksum",
    ],
)
def test_bad_id_numbers_are_refused_with_a_specific_code(number, code):
    with pytest.raises(ValidationError) as excinfo:
        v.validate_id_number(number, today=TODAY)
    assert code_of(excinfo) == code


@pytest.mark.parametrize(
    "prefix", ["11", "15", "21", "23", "31", "37", "41", "46", "50", "54", "61", "65", "71"]
)
def test_every_kind_of_province_code_is_accepted(prefix):
    assert v.validate_id_number(id_number(f"{prefix}010119900101123"), today=TODAY)


@pytest.mark.parametrize("prefix", ["81", "82", "83"])
def test_residence_permits_of_hong_kong_macao_and_taiwan_residents_are_accepted(prefix):
    assert v.validate_id_number(id_number(f"{prefix}000019900101123"), today=TODAY)


def test_a_birth_date_of_today_is_not_in_the_future():
    assert v.validate_id_number(id_number("33020620250601123"), today=TODAY)[0] == TODAY


def test_the_future_is_measured_from_the_local_date_by_default():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_id_number(id_number("33020621000101123"))
    assert code_of(excinfo) == "future"


def test_a_bad_date_message_quotes_the_date_digits():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_id_number(id_number("33020619900230123"), today=TODAY)
    assert "19900230" in english(excinfo)


# --- ID numbers that went through Excel -----------------------------------------------------------------


@pytest.mark.parametrize(
    "cell",
    [
        3.30206199001011e17,
        330206199001011234.0,
        "3.30206E+17",
        "3.30206199001011e+17",
        "３.３０２０６Ｅ＋１７",
        "330206199001011234.0",
    ],
    ids=[
        "float",
        "integral-float",
        "scientific",
        "scientific-lower",
        "scientific-full-width",
        "decimal-text",
    ],
)
def test_an_id_number_that_excel_turned_into_a_number_is_refused(cell):
    with pytest.raises(ValidationError) as excinfo:
        v.id_number_from_excel(cell)
    assert code_of(excinfo) == "excel_number"
    assert "format the column as text" in english(excinfo)


def _mangled(first15: str) -> str:
    """An 18-digit number as Excel leaves it: last three digits zero, check character wrong."""
    number = first15 + "000"
    assert id_number(number[:17]) != number, "pick a prefix whose mangled form fails the checksum"
    return number


def test_an_id_number_whose_last_digits_excel_zeroed_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        v.id_number_from_excel(_mangled("330206199001011"))
    assert code_of(excinfo) == "excel_number"


def test_an_integer_holding_all_18_digits_is_accepted():
    number = id_number("33020619900101123")
    assert v.id_number_from_excel(int(number)) == number


def test_an_integer_whose_last_digits_excel_zeroed_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        v.id_number_from_excel(int(_mangled("330206199001011")))
    assert code_of(excinfo) == "excel_number"


def test_a_real_id_number_ending_in_000_is_not_mistaken_for_excel_damage():
    candidates = (
        id_number(f"330206199001{day:02d}{hundreds}00") for day in range(1, 29) for hundreds in range(10)
    )
    real = next(number for number in candidates if number.endswith("000"))
    assert v.id_number_from_excel(real) == real


def test_a_text_cell_is_normalised():
    number = _id_ending_in_x()
    assert v.id_number_from_excel(f" {number[:17]}x ") == number
    assert v.id_number_from_excel(None) == ""


# --- Age ------------------------------------------------------------------------------------------------


def test_age_counts_completed_years():
    birth = datetime.date(2000, 5, 5)
    assert v.minimum_age_at(birth, datetime.date(2016, 5, 4)) == 15
    assert v.minimum_age_at(birth, datetime.date(2016, 5, 5)) == 16
    assert v.minimum_age_at(birth, datetime.date(2017, 1, 1)) == 16
    assert v.minimum_age_at(birth, birth) == 0


def test_age_before_birth_is_an_error():
    with pytest.raises(ValueError, match="before the birth date"):
        v.minimum_age_at(datetime.date(2000, 5, 5), datetime.date(2000, 5, 4))


def test_a_leap_day_birthday_counts_as_1_march_in_common_years():
    birth = datetime.date(2004, 2, 29)
    assert v.minimum_age_at(birth, datetime.date(2021, 2, 28)) == 16
    assert v.minimum_age_at(birth, datetime.date(2021, 3, 1)) == 17
    assert v.minimum_age_at(birth, datetime.date(2024, 2, 28)) == 19
    assert v.minimum_age_at(birth, datetime.date(2024, 2, 29)) == 20


def test_nobody_under_16_may_be_hired():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_hire_age(datetime.date(2000, 5, 5), datetime.date(2016, 5, 4))
    assert code_of(excinfo) == "under_16"
    assert "Art. 15" in english(excinfo)


def test_a_worker_may_be_hired_on_the_16th_birthday():
    assert v.validate_hire_age(datetime.date(2000, 5, 5), datetime.date(2016, 5, 5)) is None


def test_a_hire_date_before_birth_is_refused():
    with pytest.raises(ValidationError) as excinfo:
        v.validate_hire_age(datetime.date(2000, 5, 5), datetime.date(1999, 1, 1))
    assert code_of(excinfo) == "under_16"


def test_someone_born_on_a_leap_day_turns_16_on_1_march_when_the_16th_year_is_common():
    # 2100 is not a leap year, so the 16th birthday of a child born on 29 Feb 2084 has no 29 Feb.
    birth = datetime.date(2084, 2, 29)
    with pytest.raises(ValidationError):
        v.validate_hire_age(birth, datetime.date(2100, 2, 28))
    v.validate_hire_age(birth, datetime.date(2100, 3, 1))


def test_someone_born_on_a_leap_day_turns_16_on_29_february_in_a_leap_year():
    birth = datetime.date(2008, 2, 29)
    with pytest.raises(ValidationError):
        v.validate_hire_age(birth, datetime.date(2024, 2, 28))
    v.validate_hire_age(birth, datetime.date(2024, 2, 29))


# --- Phones ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "13812345678",
        "138-1234-5678",
        "138 1234 5678",
        "+86 138 1234 5678",
        "+86-13812345678",
        "(+86)13812345678",
        "0086 13812345678",
        "8613812345678",
        "１３８１２３４５６７８",
        "＋８６　１３８－１２３４－５６７８",
    ],
)
def test_phones_are_normalised_to_11_digits(typed):
    normalised = v.normalise_phone(typed)
    assert normalised == "13812345678"
    v.validate_phone(normalised)


def test_a_bare_86_is_kept_unless_it_stands_before_a_full_mobile_number():
    assert v.normalise_phone("86123456") == "86123456"


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "12812345678",
        "1381234567",
        "138123456789",
        "0574-87654321",
        "1381234567a",
        "２３８１２３４５６７８",
    ],
)
def test_what_is_not_a_mainland_mobile_number_is_refused(phone):
    with pytest.raises(ValidationError) as excinfo:
        v.validate_phone(v.normalise_phone(phone))
    assert code_of(excinfo) == "phone"


@pytest.mark.parametrize("prefix", ["13", "14", "15", "16", "17", "18", "19"])
def test_every_mobile_prefix_is_accepted(prefix):
    v.validate_phone(prefix + "812345678"[:9])


# --- Unified social credit codes ------------------------------------------------------------------------

GOOD_USCC = uscc("91330206MA2H3K4L5")


def test_a_valid_uscc_is_accepted():
    assert len(GOOD_USCC) == 18
    v.validate_uscc(GOOD_USCC)


def test_the_uscc_helper_of_the_tests_agrees_with_a_published_example():
    # Sinopec's code, as printed on its business licence and in python-stdnum's documentation.
    assert uscc("91110000600037341") == "91110000600037341L"


def test_a_uscc_is_normalised_from_lower_case_spaces_dashes_and_full_width():
    typed = (
        " " + full_width(GOOD_USCC[:8].lower()) + "\u3000" + GOOD_USCC[8:12].lower() + "-" + GOOD_USCC[12:]
    )
    assert v.normalise_uscc(typed) == GOOD_USCC


@pytest.mark.parametrize(
    ("code", "says"),
    [
        (GOOD_USCC[:17], "18 characters"),
        (GOOD_USCC + "1", "18 characters"),
        ("", "18 characters"),
        (GOOD_USCC[:8] + "I" + GOOD_USCC[9:], "other than I, O, S, V and Z"),
        ("A" + GOOD_USCC[1:], "8 digits"),
        (GOOD_USCC[:17] + ("0" if GOOD_USCC[17] != "0" else "1"), "last character"),
    ],
    ids=["short", "long", "empty", "letter-i", "letter-first", "checksum"],
)
def test_a_bad_uscc_is_refused_with_a_message_saying_what_is_wrong(code, says):
    with pytest.raises(ValidationError) as excinfo:
        v.validate_uscc(code)
    assert code_of(excinfo) == "uscc"
    assert says in english(excinfo)


# --- Bank accounts --------------------------------------------------------------------------------------


def luhn_ok(number: str) -> bool:
    total = 0
    for position, digit in enumerate(reversed(number)):
        value = int(digit) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def test_a_bank_account_is_normalised_to_digits():
    assert v.normalise_bank_account(" 6222 0212-3456\u30007890 123") == "6222021234567890123"
    assert v.normalise_bank_account(full_width("6222021234567890123")) == "6222021234567890123"


@pytest.mark.parametrize("account", ["1" * 12, "6222021234567890123", "9" * 30])
def test_bank_accounts_of_12_to_30_digits_are_accepted(account):
    v.validate_bank_account(account)


def test_a_bank_account_that_fails_luhn_is_still_accepted():
    account = next(
        f"62220212345678901{n:02d}" for n in range(100) if not luhn_ok(f"62220212345678901{n:02d}")
    )
    v.validate_bank_account(account)


@pytest.mark.parametrize(
    "account", ["", "1" * 11, "1" * 31, "62220212345678901a", "6222 0212 3456", "١٢٣٤٥٦٧٨٩٠١٢"]
)
def test_what_is_not_12_to_30_digits_is_refused(account):
    with pytest.raises(ValidationError) as excinfo:
        v.validate_bank_account(account)
    assert code_of(excinfo) == "bank_account"


# --- Yes / no -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["是", "Y", "y", "yes", "YES", " Yes ", "1", "true", "TRUE", "√", "✓", "Ｙ", 1, 1.0, True]
)
def test_yes_values(value):
    assert v.parse_yes_no(value) is True


@pytest.mark.parametrize(
    "value", ["否", "N", "n", "no", "No", "0", "false", "False", "×", "✗", "Ｎ", 0, 0.0, False]
)
def test_no_values(value):
    assert v.parse_yes_no(value) is False


@pytest.mark.parametrize("value", ["", None, "maybe", "有", "2", 2, 0.5, "x"])
def test_anything_else_is_not_a_yes_or_no(value):
    with pytest.raises(ValidationError) as excinfo:
        v.parse_yes_no(value)
    assert code_of(excinfo) == "yes_no"


# --- Dates ----------------------------------------------------------------------------------------------

MARCH_5 = datetime.date(2019, 3, 5)


@pytest.mark.parametrize(
    "value",
    [
        MARCH_5,
        datetime.datetime(2019, 3, 5, 23, 59),
        "2019-03-05",
        "2019-3-5",
        "2019/3/5",
        "2019/03/05",
        "2019.3.5",
        "2019年3月5日",
        "2019年3月5",
        "2019 年 3 月 5 日",
        "２０１９年３月５日",
        "20190305",
        " 2019-03-05 ",
        "2019-03-05 00:00:00",
        "2019-03-05T08:30",
        43529,
        43529.75,
    ],
)
def test_dates_in_every_common_form_are_parsed(value):
    assert v.parse_date(value) == MARCH_5


def test_an_aware_datetime_gives_its_local_date():
    late_evening_utc = datetime.datetime(2019, 3, 4, 20, 0, tzinfo=datetime.UTC)
    assert v.parse_date(late_evening_utc) == MARCH_5


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, datetime.date(1900, 1, 1)),
        (59, datetime.date(1900, 2, 28)),
        (61, datetime.date(1900, 3, 1)),
        (36526, datetime.date(2000, 1, 1)),
        (45658, datetime.date(2025, 1, 1)),
    ],
)
def test_excel_serial_numbers_follow_the_1900_date_system(serial, expected):
    assert v.parse_date(serial) == expected


@pytest.mark.parametrize(
    "value",
    [
        "2019-02-30",
        "2019/2/29",
        "2019.13.1",
        "2019年2月30日",
        "20190230",
        "2019-00-10",
        60,
        0,
        -3,
        float("nan"),
        3_000_000,
        True,
        "",
        None,
        "next Tuesday",
        "2019-03/05",
        "19-3-5",
        "2019-03-05-",
    ],
)
def test_impossible_or_unreadable_dates_are_refused(value):
    with pytest.raises(ValidationError) as excinfo:
        v.parse_date(value)
    assert code_of(excinfo) == "date"


def test_an_impossible_date_is_called_impossible_not_unreadable():
    with pytest.raises(ValidationError) as excinfo:
        v.parse_date("2019-02-30")
    assert "not a real date" in english(excinfo)
