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


SECTION_LISTS = {
    "education": Education,
    "qualifications": Qualification,
    "practicing": Practicing,
    "work_history": WorkHistory,
}
