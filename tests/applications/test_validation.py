import copy
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.applications.form import normalize_form
from registry.applications.validation import (
    CodeTables,
    managing_district,
    required_materials,
    validate_form,
)
from tests.applications.conftest import VALID_FORM, valid_uscc

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def form():
    data = copy.deepcopy(VALID_FORM)
    data["employment"]["unit_uscc"] = valid_uscc()
    data["basic"]["phone"] = "13800138000"
    return normalize_form(data)


def codes(form, **kwargs):
    return {(p.field, p.code) for p in validate_form(form, today=TODAY, check_attachments=False, **kwargs)}


def test_the_valid_form_has_no_problems(form):
    assert codes(form) == set()


def test_gender_must_agree_with_the_id_number(form):
    form["basic"]["gender"] = "F"
    assert ("basic.gender", "id_mismatch") in codes(form)


def test_phone_must_be_the_account_phone(form):
    assert ("basic.phone", "phone_mismatch") in codes(form, account_phone="13900000000")


def test_qualification_before_18_and_accounting_before_16_are_implausible(form):
    form["qualifications"][0]["obtained_on"] = "2007-01-01"  # aged 16
    form["employment"]["accounting_since"] = "2005-01-01"  # aged 14
    found = codes(form)
    assert ("qualifications.0.obtained_on", "implausible_date") in found
    assert ("employment.accounting_since", "implausible_date") in found


def test_dates_in_the_future_and_out_of_order(form):
    form["education"][0]["graduation_date"] = "2027-07-01"
    form["education"][0]["start_date"] = "2012-09-01"
    assert ("education.0.graduation_date", "future_date") in codes(form)
    form["education"][0]["graduation_date"] = "2010-07-01"
    assert ("education.0.graduation_date", "date_order") in codes(form)
    form["education"][0]["graduation_date"] = "2012-02-30"
    assert ("education.0.graduation_date", "invalid_date") in codes(form)


def test_overseas_degree_needs_the_certification_number_and_report(form):
    form["education"][0]["overseas"] = True
    assert ("education.0.overseas_cert_number", "required") in codes(form)
    assert ("overseas_cert", 0) in {(k, r) for k, r, _ in required_materials(form)}


def test_duplicate_certificate_numbers(form):
    form["qualifications"].append({**form["qualifications"][0], "level": "senior", "obtained_on": "2020-01-01"})
    form["qualifications"][1]["certificate_number"] = form["qualifications"][0]["certificate_number"].lower()
    assert ("qualifications.1.certificate_number", "duplicate") in codes(form)


def test_unknown_codes(form):
    form["basic"]["ethnicity"] = "99"
    form["employment"]["position"] = "ceo"
    found = codes(form)
    assert ("basic.ethnicity", "unknown_code") in found and ("employment.position", "unknown_code") in found


def test_unit_type_must_match_the_uscc(form):
    form["employment"]["unit_type"] = "government"  # a 91… code is an enterprise
    assert ("employment.unit_type", "uscc_unit_type_mismatch") in codes(form)


def test_unit_outside_the_city_is_refused(form):
    form["employment"]["unit_district"] = "130102"
    assert ("employment.unit_district", "unknown_code") in codes(form)


def test_no_qualification_and_no_accounting_work_is_out_of_scope(form):
    form["category"] = 2
    form["qualifications"] = []
    form["employment"] = {**form["employment"], "status": "no_unit"}
    found = codes(form)
    assert ("category", "out_of_scope") in found
    problem = next(p for p in validate_form(form, today=TODAY, check_attachments=False) if p.code == "out_of_scope")
    assert "不属于会计人员信息采集范围" in problem.message


def test_category_1_must_be_doing_accounting_work(form):
    form["employment"]["doing_accounting"] = False
    assert ("employment.doing_accounting", "category_mismatch") in codes(form)


def _category_problems(form):
    return {p for p in codes(form) if p[1] in ("category_mismatch", "out_of_scope", "not_allowed")}


def test_each_registration_category_asks_for_what_it_names(form):
    """PRODUCT.md's five categories: 2 qualified and not doing accounting work; 3 and 4 without a
    unit, 4 a PhD; 5 holding 中级 经济/统计/审计 (the only category those series are for)."""
    accounting = form["qualifications"][0]
    assert accounting["series"] == "accounting" and accounting["level"]
    form["category"] = 2  # qualified, but doing accounting work: that is category 1
    assert _category_problems(form) == {("employment.doing_accounting", "category_mismatch")}
    form["employment"]["doing_accounting"] = False
    assert _category_problems(form) == set()
    form["qualifications"] = []
    assert ("qualifications", "category_mismatch") in _category_problems(form)

    form["employment"] = {**form["employment"], "status": "no_unit"}
    form["category"] = 3
    assert _category_problems(form) == set()
    form["category"] = 4  # no doctorate among the degrees
    assert _category_problems(form) == {("education", "category_mismatch")}
    doctorate = {
        **form["education"][0],
        "level": "doctorate",
        "start_date": "2015-09-01",
        "graduation_date": "2019-07-01",
    }
    form["education"].insert(0, doctorate)
    assert _category_problems(form) == set()

    form["category"] = 5
    assert _category_problems(form) == {("qualifications", "category_mismatch")}
    form["qualifications"] = [{**accounting, "series": "audit", "level": "intermediate"}]
    assert _category_problems(form) == set()
    form["category"] = 3  # 审计/经济/统计 series are for category 5 only
    assert ("qualifications.0.series", "not_allowed") in _category_problems(form)


def test_education_highest_first(form):
    form["education"].append(
        {**form["education"][0], "level": "master", "start_date": "2012-09-01", "graduation_date": "2015-07-01"}
    )
    assert ("education", "education_order") in codes(form)


def test_managing_district_and_residence_proof(form):
    assert managing_district(form) == "110105"
    form["employment"]["status"] = "no_unit"
    form["basic"]["residence_district"] = "110108"
    assert managing_district(form) == "110108"
    assert "residence_proof" not in [k for k, _, _ in required_materials(form)]  # Beijing hukou
    form["basic"]["hukou_region"] = "130102"
    assert "residence_proof" in [k for k, _, _ in required_materials(form)]
    form["basic"]["local_social_insurance"] = True
    assert "residence_proof" not in [k for k, _, _ in required_materials(form)]


def test_no_unit_needs_a_residence_district(form):
    form["employment"]["status"] = "retired"
    form["category"] = 2
    form["basic"]["residence_district"] = ""
    assert ("basic.residence_district", "required") in codes(form)


text = st.text(max_size=30)
entry = st.dictionaries(
    st.sampled_from(
        [
            "level",
            "school",
            "start_date",
            "graduation_date",
            "overseas",
            "series",
            "obtained_on",
            "certificate_number",
            "kind",
            "unit_uscc",
            "end_date",
        ]
    ),
    st.one_of(text, st.booleans(), st.none()),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    category=st.one_of(st.none(), st.integers(-3, 9)),
    basic=st.dictionaries(st.sampled_from(list(VALID_FORM["basic"])), text),
    employment=st.dictionaries(st.sampled_from(list(VALID_FORM["employment"])), text),
    education=st.lists(entry, max_size=3),
    qualifications=st.lists(entry, max_size=3),
)
def test_any_draft_shape_validates_without_crashing(category, basic, employment, education, qualifications):
    raw = {
        "category": category,
        "basic": basic,
        "employment": employment,
        "education": education,
        "qualifications": qualifications,
    }
    try:
        form = normalize_form(raw)
    except Exception:  # pydantic refuses non-coercible types: the API answers 400 before validation
        return
    problems = validate_form(form, today=TODAY, tables=TABLES.get())
    assert all(p.field and p.code and p.message for p in problems)


class _Tables:
    value = None

    def get(self):
        if self.value is None:
            self.value = CodeTables()
        return self.value


TABLES = _Tables()


@pytest.mark.parametrize(("status", "refused"), [("13", True), ("03", True), ("01", False), ("02", False)])
def test_a_party_member_tick_must_agree_with_the_political_status(form, status, refused):
    form["basic"]["political_status"] = status
    form["other"]["party_member"] = True
    assert (("other.party_member", "inconsistent") in codes(form)) is refused
    form["other"]["party_member"] = False  # not ticked: any status stands (the tick is optional)
    assert ("other.party_member", "inconsistent") not in codes(form)


def test_the_party_member_message_names_the_chosen_status(form):
    form["basic"]["political_status"] = "13"
    form["other"]["party_member"] = True
    (problem,) = [p for p in validate_form(form, today=TODAY, check_attachments=False) if p.code == "inconsistent"]
    assert "“群众”" in problem.message
