import pytest
from django.core.management import call_command

from registry.core.models import CalendarYear, Code, Region

pytestmark = pytest.mark.django_db

BEIJING_DISTRICTS = {
    "110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111",
    "110112", "110113", "110114", "110115", "110116", "110117", "110118", "110119",
}  # fmt: skip


def test_beijing_has_its_18_reviewing_units():
    units = Region.objects.reviewing_units().in_province("110000")
    codes = set(units.values_list("code", flat=True))
    assert codes == BEIJING_DISTRICTS | {"11YS00", "11KF00"}
    assert Region.objects.get(code="11YS00").bureau_name == "燕山财政分局"
    assert Region.objects.get(code="11KF00").bureau_name == "北京经济技术开发区财政审计局"
    assert Region.objects.get(code="110105").parent.parent_id == "110000"


def test_retired_codes_are_kept_but_not_current():
    for code in ["110103", "110104", "110228", "110229"]:
        region = Region.objects.get(code=code)
        assert not region.is_current and not region.is_reviewing_unit


def test_every_province_and_their_county_level_units():
    assert Region.objects.filter(level="province").count() == 34
    hebei = Region.objects.reviewing_units().in_province("130000")
    assert hebei.count() > 150
    assert hebei.filter(name="长安区", code="130102").exists()
    assert not Region.objects.reviewing_units().filter(name="市辖区").exists()


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            "education_level",
            {"doctorate", "master", "bachelor", "college", "secondary", "high_school_or_below"},
        ),
        ("qualification_level", {"junior", "intermediate", "senior", "professor"}),
        ("id_type", {"resident_id", "hk_macao_permit", "taiwan_permit", "passport"}),
        ("practicing_kind", {"cpa", "tax_agent", "asset_appraiser", "other"}),
        ("unit_type", {"government", "enterprise", "institution", "social_group", "other"}),
        ("employment_status", {"employed", "no_unit", "retired", "rehired"}),
    ],
)
def test_code_lists_match_the_api_contract(kind, expected):
    assert set(Code.objects.of(kind).values_list("code", flat=True)) == expected


def test_56_ethnic_groups_with_gbt3304_codes():
    groups = dict(Code.objects.of("ethnicity").filter(code__lte="56").values_list("code", "name"))
    assert list(groups) == [f"{i:02d}" for i in range(1, 57)]
    assert groups["01"] == "汉族" and groups["56"] == "基诺族" and groups["10"] == "朝鲜族"


def test_standard_rejection_reasons_include_the_common_ones():
    reasons = set(Code.objects.of("rejection_reason").values_list("code", flat=True))
    assert {"photo_noncompliant", "material_unclear", "info_inconsistent", "unit_inaccurate",
            "material_missing", "wrong_business_type"} <= reasons  # fmt: skip


def test_qualification_titles_live_in_extra():
    assert Code.objects.get(kind="qualification_level", code="senior").extra["title"] == "高级会计师"


def test_calendar_years_2004_to_2026_are_seeded():
    years = set(CalendarYear.objects.values_list("year", flat=True))
    assert set(range(2004, 2027)) <= years


def test_load_code_tables_is_idempotent_and_keeps_admin_edits(capsys):
    Code.objects.filter(kind="rejection_reason", code="other").update(name="其他（管理员修改）")
    Region.objects.filter(code="110105").update(contact_phone="010-87654321")
    before = (Region.objects.count(), Code.objects.count())
    call_command("load_code_tables")
    assert "新增：行政区划 0 条，代码项 0 条" in capsys.readouterr().out
    assert (Region.objects.count(), Code.objects.count()) == before
    assert Code.objects.get(kind="rejection_reason", code="other").name == "其他（管理员修改）"
    assert Region.objects.get(code="110105").contact_phone == "010-87654321"


def test_load_code_tables_restores_a_deleted_entry():
    Code.objects.filter(kind="ethnicity", code="56").delete()
    call_command("load_code_tables")
    assert Code.objects.get(kind="ethnicity", code="56").name == "基诺族"
