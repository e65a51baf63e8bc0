"""Normalisation and comparison of numbers and names: pure functions, no OCR."""

from registry.material_checks.matching import (
    find_number,
    find_text,
    id_front_checks,
    id_numbers_in,
    normalise_number,
    number_check,
)


def lines(*texts):
    return [{"text": t, "score": 1.0, "box": []} for t in texts]


def test_normalise_number_folds_width_spaces_and_ocr_confusions():
    assert normalise_number("１１０１０５ １９９００３０７００３ｘ") == "11010519900307003X"
    assert normalise_number("Z11O1O5-16 000 l23") == normalise_number("Z11010516000123")
    assert normalise_number("I1|l") == "1111"


def test_number_found_exactly_and_not_with_one_digit_changed():
    read = lines("证书编号：Z1101O516000123")  # the OCR read a letter O for a zero
    assert find_number("Z11010516000123", read) == (True, "Z11010516000123")
    ok, closest = find_number("Z11010516000124", read)
    assert not ok and closest == "Z11010516000123"


def test_number_split_over_two_boxes_is_found():
    assert find_number("100341201205001234", lines("证书编号：1003412012", "05001234"))[0]


def test_id_number_prefers_a_checksum_valid_candidate():
    read = lines("公民身份号码 110105199003070034", "110105199003070033")
    assert id_numbers_in(read)[0] == "110105199003070033"


def test_id_front_reports_what_was_read():
    basic = {"name": "李明", "id_type": "resident_id", "id_number": "110105199003070041"}
    checks = {c.code: c for c in id_front_checks(basic, lines("姓名 李明", "公民身份号码 110105199003070033"))}
    assert checks["id_number"].ok is False
    assert "识别为 110105199003070033" in checks["id_number"].message
    assert checks["id_name"].ok is True


def test_name_must_match_exactly():
    assert find_text("李明", lines("姓名李明"))[0]
    assert not find_text("李鸣", lines("姓名李明"))[0]


def test_other_document_types_compare_the_document_number():
    basic = {"name": "陈大文", "id_type": "hk_macao_permit", "id_number": "H12345678"}
    codes = {c.code: c.ok for c in id_front_checks(basic, lines("姓名 陈大文", "证件号码 H12345678"))}
    assert codes == {"document_number": True, "id_name": True}


def test_empty_typed_number_is_not_checked():
    assert number_check("certificate_number", "证书编号", "资格证书", "", lines("x")).ok is None
