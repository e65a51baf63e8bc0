"""The collection form (会计人员信息采集表) as a schema. Drafts may be incomplete: every field has a
default, dates are kept as typed (strings) and only checked at submission (validation.py)."""

from pydantic import BaseModel, ConfigDict, Field


class Section(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Basic(Section):
    name: str = ""
    gender: str = ""  # "M" | "F"
    id_type: str = "resident_id"
    id_number: str = ""
    birth_date: str = ""
    ethnicity: str = ""
    political_status: str = ""
    phone: str = ""
    email: str = ""
    hukou_region: str = ""
    residence_address: str = ""
    residence_district: str = ""
    local_social_insurance: bool = False  # paying Beijing social insurance (residence proof otherwise)


class Education(Section):
    level: str = ""
    school: str = ""
    major: str = ""
    start_date: str = ""
    graduation_date: str = ""
    diploma_number: str = ""
    degree: str = ""
    degree_number: str = ""
    overseas: bool = False
    overseas_cert_number: str = ""


class Qualification(Section):
    series: str = "accounting"
    level: str = ""
    obtained_by: str = ""
    obtained_on: str = ""
    certificate_number: str = ""
    authority: str = ""


class Practicing(Section):
    kind: str = ""
    certificate_number: str = ""
    obtained_on: str = ""


class Employment(Section):
    status: str = ""
    unit_name: str = ""
    unit_uscc: str = ""
    unit_type: str = ""
    unit_district: str = ""
    department: str = ""
    position: str = ""
    accounting_since: str = ""
    doing_accounting: bool = True


class WorkHistory(Section):
    start_date: str = ""
    end_date: str | None = None
    unit_name: str = ""
    unit_uscc: str = ""
    unit_type: str = ""
    industry: str = ""
    post: str = ""


class Other(Section):
    change_event_date: str = ""  # 信息变更: when the change happened (to be filed within 3 months)
    party_member: bool = False
    titles: str = ""
    honors: str = ""
    remarks: str = ""


class CollectionForm(Section):
    category: int | None = None
    basic: Basic = Field(default_factory=Basic)
    education: list[Education] = Field(default_factory=list, max_length=10)
    qualifications: list[Qualification] = Field(default_factory=list, max_length=10)
    practicing: list[Practicing] = Field(default_factory=list, max_length=10)
    employment: Employment = Field(default_factory=Employment)
    work_history: list[WorkHistory] = Field(default_factory=list, max_length=30)
    other: Other = Field(default_factory=Other)


def normalize_form(data: dict | None) -> dict:
    """Any partial dict → the full form shape with defaults (unknown keys dropped)."""
    return CollectionForm.model_validate(data or {}).model_dump()


def normalize_form_and_json(data: dict | None) -> tuple[dict, str]:
    """normalize_form, and the same form as JSON text from pydantic's own serializer (a bulk
    import stores it as is: a quarter of the cost of json.dumps on the dict)."""
    model = CollectionForm.model_validate(data or {})
    return model.model_dump(), model.model_dump_json()


# What belongs to one filing, not to the person: 变更事项发生日期 dates the change it was filed
# with. A new change or a transfer in starts without it, and it alone is no change (services).
FILING_ONLY_FIELDS = (("other", "change_event_date"),)


def without_filing_fields(form: dict) -> dict:
    """The (normalized) form with the fields of a single filing emptied, as a new filing starts."""
    for section, name in FILING_ONLY_FIELDS:
        form[section][name] = ""
    return form


SECTION_LISTS = {
    "education": Education,
    "qualifications": Qualification,
    "practicing": Practicing,
    "work_history": WorkHistory,
}


def _from_resident_id(basic: dict) -> tuple[str, str] | None:
    """(birth date, gender) a valid resident ID number states, or None."""
    from django.core.exceptions import ValidationError

    from registry.core.validators import validate_resident_id

    if (basic or {}).get("id_type", "resident_id") != "resident_id" or not (basic or {}).get("id_number"):
        return None
    try:
        resident = validate_resident_id(basic["id_number"])
    except ValidationError:
        return None
    return resident.birth_date.isoformat(), resident.gender


def fill_from_id_number(form: dict, *, before: dict | None = None) -> dict:
    """出生日期和性别由身份证自动带出: a valid resident ID number fills both when they are empty or
    still what the previous number stated. A value the person typed differently is kept — the
    form's check then warns of the mismatch (validation.py), which is how it gets corrected."""
    stated = _from_resident_id(form["basic"])
    if stated is None:
        return form
    previous = _from_resident_id((before or {}).get("basic") or {}) or ("", "")
    birth, gender = stated
    basic = form["basic"]
    if basic["birth_date"] in ("", previous[0]):
        basic["birth_date"] = birth
    if basic["gender"] in ("", previous[1]):
        basic["gender"] = gender
    return form


def matches_id_number(basic: dict) -> dict[str, bool]:
    """{"birth_date": …, "gender": …}: whether each still equals what the ID number states (shown
    as "由身份证自动带出"); empty when the number states nothing (another document, or invalid)."""
    stated = _from_resident_id(basic)
    if stated is None:
        return {}
    return {"birth_date": basic.get("birth_date") == stated[0], "gender": basic.get("gender") == stated[1]}


def flatten(value, prefix: str = "") -> dict[str, object]:
    """{dotted path: value} of a form's leaves; an empty list is a leaf (what a change shows as
    changed: applications.services.form_changes, review.diff.form_diff)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}.{i}"))
        return out or {prefix: []}
    return {prefix: value}
