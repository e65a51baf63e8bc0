import datetime as dt
import random

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stdnum.cn import ric

from registry.core import generators
from registry.core.validators import (
    parse_date,
    validate_date_order,
    validate_id_document,
    validate_mobile,
    validate_not_future,
    validate_resident_id,
    validate_uscc,
)

pytestmark = pytest.mark.django_db
HYPOTHESIS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def error_code(func, *args, **kwargs) -> str:
    with pytest.raises(ValidationError) as info:
        func(*args, **kwargs)
    return info.value.code


def with_check_digit(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


# --- resident ID: the published GB 11643 examples ---------------------------------------------


def test_gb11643_example_female_beijing_chaoyang():
    result = validate_resident_id("11010519491231002X")
    assert result.birth_date == dt.date(1949, 12, 31)
    assert result.gender == "F"
    assert result.region_code == "110105"


def test_gb11643_example_male_1880():
    result = validate_resident_id("440524188001010014")
    assert result.birth_date == dt.date(1880, 1, 1)
    assert result.gender == "M"


def test_lowercase_x_and_spaces_are_normalised():
    assert validate_resident_id(" 110105 19491231 002x ").number == "11010519491231002X"


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("", "required"),
        ("11010519491231002", "invalid_format"),
        ("1101051949123100XX", "invalid_format"),
        ("110105194912310021", "invalid_checksum"),
        (with_check_digit("11010519990230001"), "invalid_birth_date"),  # 30 February
        (with_check_digit("11010521000101001"), "invalid_birth_date"),  # in the future
        # a known province with an unknown county: stdnum 2.2 raises KeyError here
        (with_check_digit("11999919491231002"), "unknown_region"),
        (with_check_digit("99010119800101001"), "unknown_region"),
    ],
)
def test_resident_id_errors_have_stable_codes(number, code):
    assert error_code(validate_resident_id, number) == code


def test_stdnum_keyerror_case_from_the_issue_is_a_clean_error():
    assert error_code(validate_resident_id, "119999194912310021") == "unknown_region"


@pytest.mark.parametrize("region", ["110103", "110104", "110228", "110229"])
def test_retired_beijing_codes_stay_valid_for_people_born_while_they_were_used(region):
    result = validate_resident_id(with_check_digit(f"{region}19750615001"))
    assert result.region_code == region


def test_code_created_after_birth_is_valid_because_ids_are_issued_later():
    # 110111 房山区 exists since 1986; someone born 1980 got the number when the ID was issued.
    assert validate_resident_id(with_check_digit("11011119800101001")).birth_date.year == 1980


def test_code_retired_before_birth_is_rejected():
    # 110103 崇文区 was merged in 2010; nobody born in 2015 can carry it.
    assert error_code(validate_resident_id, with_check_digit("11010320150101001")) == "unknown_region"


def test_future_birth_date_is_checked_against_today():
    number = with_check_digit("11010520261127001")
    assert error_code(validate_resident_id, number, today=dt.date(2026, 11, 26)) == "invalid_birth_date"
    assert validate_resident_id(number, today=dt.date(2026, 11, 27)).birth_date == dt.date(2026, 11, 27)


# --- resident ID: properties ------------------------------------------------------------------

birth_dates = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2010, 12, 31))


@HYPOTHESIS
@given(seed=st.integers(0, 2**32), birth=birth_dates, gender=st.sampled_from("MF"))
def test_generated_ids_validate_and_derive_birth_date_and_gender(seed, birth, gender):
    number = generators.resident_id(random.Random(seed), birth_date=birth, gender=gender)
    result = validate_resident_id(number)
    assert (result.birth_date, result.gender, result.number) == (birth, gender, number)


@HYPOTHESIS
@given(seed=st.integers(0, 2**32), position=st.integers(0, 17), data=st.data())
def test_any_single_character_change_is_detected(seed, position, data):
    number = generators.resident_id(random.Random(seed))
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(ValidationError):
        validate_resident_id(changed)


@HYPOTHESIS
@given(seed=st.integers(0, 2**32), position=st.integers(0, 15))
def test_adjacent_transposition_is_detected(seed, position):
    number = generators.resident_id(random.Random(seed))
    a, b = number[position], number[position + 1]
    if a == b:
        return
    swapped = number[:position] + b + a + number[position + 2 :]
    with pytest.raises(ValidationError):
        validate_resident_id(swapped)


# --- USCC (GB 32100) -------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["91350100M000100Y43", "91110000600037341L", "9135 0100 M000 100Y43"])
def test_published_uscc_examples_are_valid(number):
    assert validate_uscc(number) == number.replace(" ", "")


def test_uscc_with_letter_authority_is_accepted():
    # N (农业农村部门) registers rural collective economic organisations; stdnum rejects the letter.
    number = "N2110105" + "MA0000001"
    from stdnum.cn import uscc

    number += uscc.calc_check_digit(number)
    assert validate_uscc(number) == number


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("", "required"),
        ("91350100M000100Y4", "invalid_format"),
        ("91350100M000100I43", "invalid_format"),  # I is not in the alphabet
        ("91350100M000100Y44", "invalid_checksum"),
        ("X1350100M000100Y43", "invalid_format"),
    ],
)
def test_uscc_errors(number, code):
    assert error_code(validate_uscc, number) == code


USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@HYPOTHESIS
@given(seed=st.integers(0, 2**32), unit_type=st.sampled_from(list(generators.UNIT_TYPE_USCC_PREFIX)))
def test_generated_usccs_validate(seed, unit_type):
    number = generators.uscc(random.Random(seed), unit_type=unit_type)
    assert validate_uscc(number) == number
    assert number[:2] == generators.UNIT_TYPE_USCC_PREFIX[unit_type]


@HYPOTHESIS
@given(seed=st.integers(0, 2**32), position=st.integers(8, 17), data=st.data())
def test_uscc_single_substitution_in_code_part_is_detected(seed, position, data):
    number = generators.uscc(random.Random(seed))
    replacement = data.draw(st.sampled_from([c for c in USCC_ALPHABET if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1 :]
    with pytest.raises(ValidationError):
        validate_uscc(changed)


# --- other documents, phones, dates -----------------------------------------------------------


@pytest.mark.parametrize(
    ("id_type", "number", "ok"),
    [
        ("hk_macao_permit", "H12345678", True),
        ("hk_macao_permit", "M1234567890", True),
        ("hk_macao_permit", "A12345678", False),
        ("taiwan_permit", "12345678", True),
        ("taiwan_permit", "1234567", False),
        ("passport", "E12345678", True),
        ("passport", "E1", False),
    ],
)
def test_other_id_documents(id_type, number, ok):
    if ok:
        assert validate_id_document(id_type, number) == number
    else:
        assert error_code(validate_id_document, id_type, number) == "invalid_format"


@pytest.mark.parametrize("value", ["13800138000", "+86 138 0013 8000", "0086-13800138000", "19912345678"])
def test_mobile_numbers_accepted(value):
    assert validate_mobile(value) in {"13800138000", "19912345678"}


@pytest.mark.parametrize("value", ["12800138000", "1380013800", "010-12345678", "138001380001"])
def test_mobile_numbers_rejected(value):
    assert error_code(validate_mobile, value) == "invalid_phone"


def test_dates():
    today = dt.date(2026, 11, 26)
    assert parse_date("2026-02-28") == dt.date(2026, 2, 28)
    assert error_code(parse_date, "2026-02-30") == "invalid_date"
    assert error_code(parse_date, "") == "required"
    assert validate_not_future(today, today=today) == today
    assert error_code(validate_not_future, dt.date(2026, 11, 27), today=today) == "future_date"
    validate_date_order(dt.date(2020, 1, 1), dt.date(2020, 1, 1))
    validate_date_order(None, dt.date(2020, 1, 1))
    assert error_code(validate_date_order, dt.date(2021, 1, 1), dt.date(2020, 1, 1)) == "date_order"


def test_the_fast_uscc_checksum_agrees_with_stdnum_on_random_codes():
    """validators computes the USCC check character itself (no second clean-up); it must agree
    with stdnum on every code, valid or not, and the ASCII fast path of _clean with the NFKC one."""
    import unicodedata

    from stdnum.cn import uscc as stdnum_uscc

    from registry.core.validators import _clean, _uscc_check_digit

    rng = random.Random(15)
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for _ in range(5000):
        code = "".join(rng.choice(alphabet) for _ in range(18))
        assert _uscc_check_digit(code) == stdnum_uscc.calc_check_digit(code[:17])
    for value in ["91110105mA01abcd2x", "110105199003070033", "abc", "１１０", "11-01 05", "x\u00a0y", ""]:
        assert _clean(value) == __import__("re").sub(r"[\s\-]", "", unicodedata.normalize("NFKC", value)).upper()
