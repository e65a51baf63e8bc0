"""Labels for people: every field and stored value of the form by its Chinese name (labels.py), and
the change diff built on them — never a dotted key or a raw code."""

import copy
import re

import pytest

from registry.applications.fields import SECTIONS
from registry.applications.form import normalize_form
from registry.applications.labels import FormLabels, material_anchor, version_source_label
from registry.review.diff import form_diff
from tests.applications.conftest import VALID_FORM

pytestmark = pytest.mark.django_db

DOTTED_OR_CODE = re.compile(r"[a-z_]+\.[a-z_]|^[a-z_]+$|\b1[0-9]{5}\b")


@pytest.fixture
def form(code_tables):
    data = normalize_form(copy.deepcopy(VALID_FORM))
    data["basic"]["hukou_region"] = "130102"  # 河北省石家庄市长安区
    return data


def test_field_labels_for_plain_and_repeated_fields(code_tables):
    labels = FormLabels()
    assert labels.field("employment.position") == "职务（岗位）"
    assert labels.field("employment.unit_district") == "单位所在区"
    assert labels.field("category") == "登记类别"
    assert labels.field("education.1.school") == "学历（第2条）：毕业院校"
    assert labels.field("education.1") == "学历（第2条）"
    assert labels.field("work_history.0.end_date") == "会计工作经历（第1条）：结束日期"
    assert labels.field("something.unknown") == "其他信息"


def test_values_by_code_table_region_and_kind(form):
    labels = FormLabels(form)
    assert labels.value("employment.position", "supervisor") == "会计主管"
    assert labels.value("employment.position", "head") == "会计机构负责人"
    assert labels.value("employment.unit_district", "110105") == "朝阳区"
    assert labels.value("basic.hukou_region", "130102") == "河北省石家庄市长安区"
    assert labels.value("basic.gender", "F") == "女"
    assert labels.value("category", 1) == labels.codes["registration_category"]["1"]
    assert labels.value("education.0.overseas", False) == "否"
    assert labels.value("employment.doing_accounting", True) == "是"
    assert labels.value("work_history.0.end_date", None) == "至今"
    assert labels.value("basic.email", "") == "—"
    assert labels.value("employment.position", "no_such_code") == "no_such_code（代码表中无此项）"


def test_every_field_of_every_section_has_a_label_and_a_readable_value(form):
    """The summary shows each field of the schema, none by its key or stored code."""
    form["work_history"] = [{"start_date": "2010-01-01", "unit_name": "旧单位", "unit_type": "enterprise"}]
    form["practicing"] = [{"kind": "cpa", "certificate_number": "110000001234", "obtained_on": "2018-01-01"}]
    form["other"]["change_event_date"] = "2026-10-01"  # a change: the event date is shown (first)
    form = normalize_form(form)
    summary = FormLabels(form).summary(form)
    shown = {
        row["path"].rsplit(".", 1)[-1] + "@" + row["path"].split(".")[0]
        for s in summary
        for e in s["entries"]
        for row in e["rows"]
    }
    for section in SECTIONS:
        for field in section.fields:
            assert f"{field.name}@{section.key or field.name}" in shown, field
    rows = {row["path"]: row for s in summary for e in s["entries"] for row in e["rows"]}
    assert next(iter(rows)) == "other.change_event_date"
    assert rows["employment.unit_type"]["value"] == "企业"
    assert rows["employment.unit_district"]["value"] == "朝阳区"
    assert rows["employment.accounting_since"]["value"] == "2012-08-01"
    assert rows["basic.hukou_region"]["value"] == "河北省石家庄市长安区"
    assert rows["education.0.diploma_number"]["value"] == "100341201205001234"
    assert rows["education.0.diploma_number"]["material"] == material_anchor("diploma", 0)
    assert rows["education.0.degree_number"]["material"] == "material-degree-0"
    assert rows["qualifications.0.certificate_number"]["material"] == "material-qualification_cert-0"
    assert rows["education.0.overseas_cert_number"]["material"] == ""  # nothing typed, nothing to compare
    assert rows["work_history.0.unit_type"]["value"] == "企业"
    for row in rows.values():
        assert not DOTTED_OR_CODE.search(row["label"]), row
    titles = [e["title"] for s in summary for e in s["entries"] if e["title"]]
    first = normalize_form(copy.deepcopy(VALID_FORM))
    assert "变更事项" not in [s["title"] for s in FormLabels(first).summary(first)]  # asked on a change only
    assert "学历（第1条）" in titles and "会计工作经历（第1条）" in titles


def test_material_facts_put_the_typed_number_beside_its_material(form):
    labels = FormLabels(form)
    facts = dict(labels.material_facts(form, "diploma", 0))
    assert facts["毕业证书编号"] == "100341201205001234"
    assert facts["学历"] == "大学本科" and facts["毕业院校"] == "中央财经大学"
    assert dict(labels.material_facts(form, "degree", 0)) == {"学位": "学士", "学位证书编号": "1003442012001234"}
    assert dict(labels.material_facts(form, "id_front", None))["证件号码"] == form["basic"]["id_number"]
    assert labels.material_facts(form, "diploma", 5) == []  # no such entry
    assert labels.material_facts(form, "other", None) == []


def test_change_diff_reads_in_chinese(form):
    new = copy.deepcopy(form)
    new["employment"]["position"] = "head"
    new["employment"]["unit_district"] = "110108"
    new["education"].append(
        {**form["education"][0], "level": "master", "school": "北京大学", "diploma_number": "100011201805000001"}
    )
    new = normalize_form(new)
    rows = {d["field"]: d for d in form_diff(form, new)}
    assert (rows["employment.position"]["label"], rows["employment.position"]["old_label"]) == ("职务（岗位）", "会计")
    assert rows["employment.position"]["new_label"] == "会计机构负责人"
    district = rows["employment.unit_district"]
    assert (district["label"], district["old_label"], district["new_label"]) == ("单位所在区", "朝阳区", "海淀区")
    assert (district["old"], district["new"]) == ("110105", "110108")  # the stored values stay for the API
    school = rows["education.1.school"]
    assert (school["label"], school["old_label"], school["new_label"]) == ("学历（第2条）：毕业院校", "—", "北京大学")
    assert rows["education.1.level"]["new_label"] == "硕士研究生"
    assert "education.1.overseas" not in rows  # an unticked box on a new entry is no change
    # in the form's order: education before employment
    order = [d["field"] for d in form_diff(form, new)]
    assert (
        order.index("education.1.level") < order.index("employment.unit_district") < order.index("employment.position")
    )


def test_version_sources_by_name():
    assert version_source_label("first_collection") == "首次采集"
    assert version_source_label("change") == "信息变更"
    assert version_source_label("imported:transfer_in") == "外省市系统（调入）"
    assert version_source_label("import") == "批量导入"
