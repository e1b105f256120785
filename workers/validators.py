"""Normalisers and validators for workers' identifiers and for values typed into spreadsheets."""

from __future__ import annotations

import datetime
import math
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import InvalidChecksum, InvalidFormat, InvalidLength
from stdnum.exceptions import ValidationError as StdnumValidationError

MINIMUM_WORKING_AGE = 16

# First two digits of GB/T 2260 division codes. 83 is not in GB/T 2260 but heads the numbers of
# residence permits for Taiwan residents (830000), which have the same format as resident ID numbers;
# 81 and 82 serve Hong Kong and Macao residents likewise. No province code has ever been retired.
PROVINCE_CODES = frozenset(
    {
        *("11", "12", "13", "14", "15"),
        *("21", "22", "23"),
        *("31", "32", "33", "34", "35", "36", "37"),
        *("41", "42", "43", "44", "45", "46"),
        *("50", "51", "52", "53", "54"),
        *("61", "62", "63", "64", "65"),
        *("71", "81", "82", "83"),
    }
)

# Invisible characters that survive copying from web pages and Excel cells.
_INVISIBLE = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")
_PHONE_SEPARATORS = re.compile(r"[\s\-()\u2010-\u2015\u2212]+")
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_BANK_ACCOUNT = re.compile(r"[0-9]{12,30}")
_ID_CHARACTERS = re.compile(r"[0-9]{17}[0-9X]")
_EXCEL_SCIENTIFIC = re.compile(r"[0-9](?:\.[0-9]+)?E\+?[0-9]+")
_EXCEL_DECIMAL = re.compile(r"[0-9]{15,18}\.[0-9]+")


def _compact(value: object) -> str:
    """NFKC turns full-width digits, letters and spaces into ASCII ones; then drop all spacing."""
    if value is None:
        return ""
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", str(value)))


# --- Resident ID numbers (GB 11643-1999) ------------------------------------------------------------------


def normalise_id_number(value: object) -> str:
    """'３３０２０６ 19900101123x ' -> '33020619900101123X'."""
    return _compact(value).upper()


def validate_id_number(value: str, *, today: datetime.date | None = None) -> tuple[datetime.date, str]:
    """Check a normalised 18-character resident ID number; return (birth date, gender "M" or "F").

    The area code is deliberately not checked against the birth year (python-stdnum issue #442): a
    number keeps the code of the place where it was first issued, even one created or retired later.
    """
    value = value or ""
    if len(value) != 18:
        raise ValidationError(
            _("An ID number has 18 characters; this one has %(length)d."),
            code="length",
            params={"length": len(value)},
        )
    if not _ID_CHARACTERS.fullmatch(value):
        raise ValidationError(
            _("An ID number is 17 digits followed by a digit or the letter X."),
            code="characters",
        )
    if value[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("An ID number starts with a province code; %(code)s is not one."),
            code="province",
            params={"code": value[:2]},
        )
    try:
        birth_date = ric.get_birth_date(value)
    except StdnumValidationError:
        raise ValidationError(
            _("The birth date in the ID number, %(digits)s, is not a real date."),
            code="date",
            params={"digits": value[6:14]},
        ) from None
    if birth_date.year < 1900:
        raise ValidationError(
            _("The birth date in the ID number, %(date)s, is before 1900."),
            code="date",
            params={"date": birth_date.isoformat()},
        )
    if birth_date > (today or timezone.localdate()):
        raise ValidationError(
            _("The birth date in the ID number, %(date)s, is in the future."),
            code="future",
            params={"date": birth_date.isoformat()},
        )
    if value[17] != ric.calc_check_digit(value):
        raise ValidationError(
            _("The last character of the ID number does not match the others; a digit is probably mistyped."),
            code="checksum",
        )
    gender = "M" if int(value[16]) % 2 else "F"
    return birth_date, gender


def id_number_from_excel(value: object) -> str:
    """Normalise an ID number read from a spreadsheet cell, refusing one that Excel stored as a number.

    Excel keeps 15 significant digits, so an 18-digit number typed into a General cell becomes
    3.30206E+17 or ends in 000. A mangled number whose check character happens to fit (1 in 11) cannot
    be told from a real one ending in 000 and passes here; validate_id_number still checks the rest.
    """
    if value is None:
        return ""
    if isinstance(value, float):
        raise _excel_number_error()
    text = (
        str(value) if isinstance(value, int) and not isinstance(value, bool) else normalise_id_number(value)
    )
    if _EXCEL_SCIENTIFIC.fullmatch(text) or _EXCEL_DECIMAL.fullmatch(text):
        raise _excel_number_error()
    if len(text) == 18 and text.isdigit() and text.endswith("000") and text[17] != ric.calc_check_digit(text):
        raise _excel_number_error()
    return text


def _excel_number_error() -> ValidationError:
    return ValidationError(
        _(
            "The ID number was converted to a number by Excel and lost digits; format the column as "
            "text and enter the numbers again."
        ),
        code="excel_number",
    )


# --- Age -------------------------------------------------------------------------------------------------


def _birthday_in(year: int, birth_date: datetime.date) -> datetime.date:
    try:
        return birth_date.replace(year=year)
    except ValueError:
        # Born on 29 February: in a common year the birthday counts as 1 March. That is the later of
        # the two candidates, so nobody is treated as 16 a day early; it also matches the Civil Code
        # (Art. 202), under which a period ending in a month without the corresponding day ends on
        # the month's last day, 28 February, so the full year is complete from 1 March.
        return datetime.date(year, 3, 1)


def minimum_age_at(birth_date: datetime.date, on_date: datetime.date) -> int:
    """Completed years of age on a date; a birthday completes the year on the day itself."""
    if on_date < birth_date:
        raise ValueError(f"{on_date} is before the birth date {birth_date}.")
    return on_date.year - birth_date.year - (on_date < _birthday_in(on_date.year, birth_date))


def validate_hire_age(birth_date: datetime.date, hired_on: datetime.date) -> None:
    """Nobody under 16 may be hired (Labour Law, Art. 15); the 16th birthday itself is allowed.

    The day-after-the-birthday reckoning of the Supreme People's Court's interpretation on juvenile
    criminal cases (Art. 2) governs criminal responsibility, not hiring, so it is not applied here.
    """
    if hired_on < birth_date or minimum_age_at(birth_date, hired_on) < MINIMUM_WORKING_AGE:
        raise ValidationError(
            _(
                "A worker must be at least 16 years old on the hire date (Labour Law, Art. 15); "
                "born %(birth_date)s, hired %(hired_on)s."
            ),
            code="under_16",
            params={"birth_date": birth_date.isoformat(), "hired_on": hired_on.isoformat()},
        )


# --- Phones ----------------------------------------------------------------------------------------------


def normalise_phone(value: object) -> str:
    """'+86 138-1234-5678' -> '13812345678'."""
    if value is None:
        return ""
    text = _PHONE_SEPARATORS.sub("", unicodedata.normalize("NFKC", str(value)))
    text = _INVISIBLE.sub("", text)
    if text.startswith("+86"):
        return text[3:]
    if text.startswith("0086"):
        return text[4:]
    # A bare 86 is a country code only in front of a full 11-digit mobile number.
    if text.startswith("86") and len(text) == 13:
        return text[2:]
    return text


def validate_phone(value: str) -> None:
    """A mainland mobile number: 11 digits starting with 13 to 19."""
    if not _MOBILE.fullmatch(value or ""):
        raise ValidationError(
            _("A mobile phone number has 11 digits and starts with 13 to 19; “%(value)s” does not."),
            code="phone",
            params={"value": value},
        )


# --- Unified social credit codes (GB 32100-2015) ---------------------------------------------------------


def normalise_uscc(value: object) -> str:
    """'９１３３ 0206-xxxx' -> upper-case ASCII without spaces or dashes."""
    return _compact(value).replace("-", "").upper()


def validate_uscc(value: str) -> None:
    """Length, characters and check character of a unified social credit code."""
    value = value or ""
    try:
        uscc.validate(value)
    except InvalidLength:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(length)d."),
            code="uscc",
            params={"length": len(value)},
        ) from None
    except InvalidChecksum:
        raise ValidationError(
            _(
                "The last character of the unified social credit code does not match the others; "
                "a character is probably mistyped."
            ),
            code="uscc",
        ) from None
    except InvalidFormat:
        raise ValidationError(
            _(
                "A unified social credit code is 8 digits followed by 10 digits or capital letters "
                "other than I, O, S, V and Z."
            ),
            code="uscc",
        ) from None


# --- Bank accounts ---------------------------------------------------------------------------------------


def normalise_bank_account(value: object) -> str:
    """'６２２２ 0212-3456' -> '622202123456'."""
    return _compact(value).replace("-", "")


def validate_bank_account(value: str) -> None:
    """12 to 30 digits.

    No Luhn check: many Chinese debit cards pass it, but passbook and corporate accounts and some
    banks' cards do not, and refusing a real account would stop a payment.
    """
    if not _BANK_ACCOUNT.fullmatch(value or ""):
        raise ValidationError(
            _("A bank account number has 12 to 30 digits."),
            code="bank_account",
        )


# --- Spreadsheet values ----------------------------------------------------------------------------------

_YES = frozenset({"是", "y", "yes", "1", "true", "√", "✓", "✔"})
_NO = frozenset({"否", "n", "no", "0", "false", "×", "✗", "✘"})


def parse_yes_no(value: object) -> bool:
    """是/否, Y/N, yes/no, 1/0, true/false, √/× (any case, full-width too) -> bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = _compact(value).lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValidationError(
        _("Expected yes or no (是/否, Y/N, 1/0, √/×), not “%(value)s”."),
        code="yes_no",
        params={"value": "" if value is None else value},
    )


# Excel's 1900 date system counts 1900-01-01 as day 1 and, copying Lotus 1-2-3, has a 29 February
# 1900 as day 60; serials from 61 on are therefore one day ahead of a plain count.
_EXCEL_EPOCH_BEFORE_LEAP_BUG = datetime.date(1899, 12, 31)
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_EXCEL_FICTITIOUS_LEAP_DAY = 60
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31

_DATE_SEPARATED = re.compile(
    r"([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
)
_DATE_CHINESE = re.compile(r"([0-9]{4})年([0-9]{1,2})月([0-9]{1,2})日?")
_DATE_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")


def _not_a_date(value: object) -> ValidationError:
    return ValidationError(
        _("“%(value)s” is not a date; write it like 2019-03-05."),
        code="date",
        params={"value": "" if value is None else value},
    )


def _from_excel_serial(value: int | float) -> datetime.date:
    if not math.isfinite(value):
        raise _not_a_date(value)
    serial = math.floor(value)  # the fraction is the time of day
    if serial == _EXCEL_FICTITIOUS_LEAP_DAY:
        raise ValidationError(
            _("Excel day 60 is 29 February 1900, a date that does not exist."),
            code="date",
        )
    if not 1 <= serial <= _EXCEL_MAX_SERIAL:
        raise _not_a_date(value)
    epoch = _EXCEL_EPOCH_BEFORE_LEAP_BUG if serial < _EXCEL_FICTITIOUS_LEAP_DAY else _EXCEL_EPOCH
    return epoch + datetime.timedelta(days=serial)


def parse_date(value: object) -> datetime.date:
    """A date from a spreadsheet cell: a date, an Excel serial number, or text in a common Chinese form."""
    if isinstance(value, datetime.datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise _not_a_date(value)
    if isinstance(value, int | float):
        return _from_excel_serial(value)

    text = unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()
    match = _DATE_SEPARATED.fullmatch(text)
    if match:
        year, month, day = match.group(1, 3, 4)
    else:
        compact = _INVISIBLE.sub("", text)
        match = _DATE_CHINESE.fullmatch(compact) or _DATE_COMPACT.fullmatch(compact)
        if not match:
            raise _not_a_date(value)
        year, month, day = match.group(1, 2, 3)
    try:
        return datetime.date(int(year), int(month), int(day))
    except ValueError:
        raise ValidationError(
            _("“%(value)s” is not a real date."),
            code="date",
            params={"value": text},
        ) from None
