"""Chinese labels of everything the statistics count (from the code tables where there is one),
shared by the dashboard and the export of the statistics tables."""

from registry.core.models import Code, CodeKind
from registry.records.models import RecordStatus

from .facts import AGE_BAND_LABELS

GENDERS = {"M": "男", "F": "女", "": "未知"}
FLOW_LABELS = {
    "first_collection": "首次采集",
    "transfer_in": "调入",
    "transfer_out": "调出",
    "change": "信息变更",
    "move_in": "区间迁入",
    "move_out": "区间迁出",
}


def code_labels(kind: str, none_label: str) -> dict[str, str]:
    labels = dict(Code.objects.of(kind).values_list("code", "name"))
    labels[""] = none_label
    return labels


def breakdown_sections(summary: dict) -> list[tuple[str, str, dict[str, int], dict[str, str], list[str] | None]]:
    """(key, title, counts, labels, fixed order or None for largest first) of each breakdown."""
    return [
        (
            "qualification",
            "专业技术资格级别（最高）",
            summary["by_qualification_level"],
            code_labels(CodeKind.QUALIFICATION_LEVEL, "无资格"),
            None,
        ),
        ("education", "学历（最高）", summary["by_education"], code_labels(CodeKind.EDUCATION_LEVEL, "未填写"), None),
        ("age", "年龄段", summary["by_age_band"], AGE_BAND_LABELS, list(AGE_BAND_LABELS)),
        ("gender", "性别", summary["by_gender"], GENDERS, list(GENDERS)),
        ("unit_type", "单位类型", summary["by_unit_type"], code_labels(CodeKind.UNIT_TYPE, "无单位"), None),
        (
            "category",
            "登记类别",
            summary["by_category"],
            code_labels(CodeKind.REGISTRATION_CATEGORY, "未填写"),
            None,
        ),
        ("status", "信息状态", summary["by_status"], dict(RecordStatus.choices), None),
    ]
