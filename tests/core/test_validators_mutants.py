"""Validator edges the older tests did not pin (issue 10: each test kills mutants of
registry/core/validators.py; see docs/testing.md)."""

import datetime as dt
import time

import pytest
from django.core.exceptions import ValidationError
from stdnum.cn import ric

from registry.core import validators
from registry.core.models import Region
from registry.core.validators import (
    parse_date,
    validate_date_order,
    validate_id_document,
    validate_mobile,
    validate_resident_id,
    validate_uscc,
)

pytestmark = pytest.mark.django_db


def with_check_digit(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")


def refusal(func, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ValidationError) as info:
        func(*args, **kwargs)
    return info.value.code, info.value.messages[0]


def test_a_region_retired_in_the_birth_year_is_still_valid_for_that_year():
    # 110103 崇文区 was last used in 2010: a child born in 2010 was registered under it.
    assert validate_resident_id(with_check_digit("11010320100101001")).region_code == "110103"
    code, message = refusal(validate_resident_id, with_check_digit("11010320110101001"))
    assert code == "unknown_region" and "2010年停用" in message


def test_an_unknown_region_is_refused_with_its_own_message():
    code, message = refusal(validate_resident_id, with_check_digit("99999919900101001"))
    assert (code, message) == ("unknown_region", "居民身份证号码前6位不是有效的行政区划代码")


def test_a_region_edit_by_an_admin_is_seen_after_the_cache_time(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    number = with_check_digit("11010519900101001")
    assert validate_resident_id(number).region_code == "110105"
    Region.objects.filter(code="110105").update(valid_to_year=1980)  # an admin marks 朝阳区 retired in 1980
    clock[0] += 299
    assert validate_resident_id(number).region_code == "110105"  # still the cached table
    clock[0] += 1
    assert refusal(validate_resident_id, number)[0] == "unknown_region"  # 300 s later the edit counts


@pytest.mark.parametrize("value", [None, "", "  ", "-"])
def test_an_empty_resident_id_is_required_not_malformed(value):
    assert refusal(validate_resident_id, value) == ("required", "请填写居民身份证号码")


def test_resident_id_derives_gender_from_the_17th_digit():
    assert validate_resident_id(with_check_digit("11010519900101001")).gender == "M"
    assert validate_resident_id(with_check_digit("11010519900101002")).gender == "F"
    assert validate_resident_id(with_check_digit("11010519900101001")).birth_date == dt.date(1990, 1, 1)


def test_a_birth_date_that_does_not_exist_is_refused():
    assert refusal(validate_resident_id, with_check_digit("11010519900230001"))[0] == "invalid_birth_date"


@pytest.mark.parametrize("value", [None, "", "+86", "0086", " +86 "])
def test_an_empty_mobile_is_required(value):
    assert refusal(validate_mobile, value) == ("required", "请填写手机号码")


@pytest.mark.parametrize(
    ("value", "normal"),
    [("+8613800138000", "13800138000"), ("008613800138000", "13800138000"), ("１３８００１３８０００", "13800138000")],
)
def test_a_mobile_loses_its_country_prefix_and_full_width_digits(value, normal):
    assert validate_mobile(value) == normal


@pytest.mark.parametrize("value", ["86013800138000", "+8612800138000", "1380013800a"])
def test_what_is_not_a_mainland_mobile_is_refused(value):
    assert refusal(validate_mobile, value) == ("invalid_phone", "请输入11位中国大陆手机号码")


def test_a_callers_own_date_order_message_is_used():
    later, earlier = dt.date(2021, 1, 1), dt.date(2020, 1, 1)
    assert refusal(validate_date_order, later, earlier, message="毕业日期不能早于入学日期") == (
        "date_order",
        "毕业日期不能早于入学日期",
    )
    assert refusal(validate_date_order, later, earlier) == ("date_order", "开始日期不能晚于结束日期")
    validate_date_order(later, None)


def test_dates_are_parsed_or_refused_with_a_reason():
    assert parse_date(dt.date(2020, 2, 29)) == dt.date(2020, 2, 29)
    assert parse_date(" 2020-02-29 ") == dt.date(2020, 2, 29)
    assert refusal(parse_date, None) == ("required", "请填写日期")
    assert refusal(parse_date, "29/02/2020")[0] == "invalid_date"


@pytest.mark.parametrize(
    ("id_type", "value", "result"),
    [
        ("hk_macao_permit", "h1234567890", "H1234567890"),
        ("hk_macao_permit", "M12345678", "M12345678"),
        ("taiwan_permit", "12345678", "12345678"),
        ("passport", "e 1234 5678", "E12345678"),
    ],
)
def test_other_id_documents_are_returned_in_normal_form(id_type, value, result):
    assert validate_id_document(id_type, value) == result


def test_other_id_document_refusals():
    assert refusal(validate_id_document, "passport", "") == ("required", "请填写证件号码")
    assert refusal(validate_id_document, "driving_licence", "123456")[0] == "invalid_format"
    assert refusal(validate_id_document, "passport", "AB")[1] == "护照号码应为5至17位字母或数字"
    assert validate_id_document("resident_id", with_check_digit("11010519900101001")).startswith("110105")


def test_uscc_refusals_say_which_part_is_wrong():
    assert refusal(validate_uscc, None) == ("required", "请填写统一社会信用代码")
    assert refusal(validate_uscc, "91110105MA01ABCD3")[0] == "invalid_format"
    assert validators.uscc_unit_kind_prefix("91110105MA01ABCD3X") == "91"


def test_the_region_table_is_read_once_within_the_cache_time(django_assert_num_queries):
    validate_resident_id(with_check_digit("11010519900101001"))
    with django_assert_num_queries(0):
        validate_resident_id(with_check_digit("11010819900101001"))
