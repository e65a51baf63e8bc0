"""One import row → a collection form, checked by the form's own validation (`validate_form`,
i.e. the same ID checksum, USCC, code-table and date checks as a submission).

What the old systems never collected (household registration, address, diploma number …) is not
required here: a `required` problem counts only for the fields an imported record cannot do
without. Every other problem (a wrong checksum, an unknown code, a date in the future, a unit type
that contradicts the USCC, a person out of scope) rejects the row.
"""

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth.hashers import identify_hasher
from django.core.exceptions import ValidationError

from registry.applications.form import normalize_form_and_json
from registry.applications.validation import IN_WORK, CodeTables, Problem, managing_district, validate_form
from registry.core import validators as v

from .template import LABELS

REQUIRED_ON_IMPORT = {
    "category",
    "basic.name",
    "basic.id_type",
    "basic.id_number",
    "basic.gender",
    "basic.birth_date",
    "basic.residence_district",
    "employment.status",
    "employment.unit_name",
    "employment.unit_uscc",
    "employment.unit_district",
}
TRUE = {"1", "true", "yes", "y", "是", "t"}


@dataclass
class CheckedRow:
    id_number: str
    name: str
    district: str
    phone: str
    form: dict
    form_json: str
    collected_on: dt.date | None
    password_hash: str
    problems: list[Problem]


def _bool(value: str, default: bool) -> bool:
    return default if not value else value.strip().lower() in TRUE


def build_form_and_json(row: dict[str, str]) -> tuple[dict, str]:
    """The normalized form and its JSON text (what the record's version 1 stores)."""
    g = row.get
    status = g("employment_status", "")
    doing = _bool(g("doing_accounting", ""), status in IN_WORK)
    id_type = g("id_type", "") or "resident_id"
    id_number = (g("id_number", "") or "").strip().upper()
    gender, birth = g("gender", ""), g("birth_date", "")
    if id_type == "resident_id" and (not gender or not birth):
        try:  # derived from the ID number when the old system did not keep them separately
            resident = v.validate_resident_id(id_number)
            gender, birth = gender or resident.gender, birth or resident.birth_date.isoformat()
        except ValidationError:
            pass  # the validation below reports the number itself
    category = g("category", "")
    if category.isdigit():
        category = int(category)
    elif not category:
        category = 1 if status in IN_WORK and doing else 2
    in_work = status in IN_WORK
    form = {
        "category": category if isinstance(category, int) else None,
        "basic": {
            "name": g("name", ""),
            "gender": gender,
            "id_type": id_type,
            "id_number": id_number,
            "birth_date": birth,
            "ethnicity": g("ethnicity", ""),
            "political_status": g("political_status", ""),
            "phone": g("phone", ""),
            "email": g("email", ""),
            "hukou_region": g("hukou_region", ""),
            "residence_address": g("residence_address", ""),
            "residence_district": g("residence_district", "") or ("" if in_work else g("district", "")),
        },
        "education": [],
        "qualifications": [],
        "employment": {
            "status": status,
            "unit_name": g("unit_name", ""),
            "unit_uscc": g("unit_uscc", "").upper(),
            "unit_type": g("unit_type", ""),
            "unit_district": g("unit_district", ""),
            "department": g("department", ""),
            "position": g("position", ""),
            "accounting_since": g("accounting_since", ""),
            "doing_accounting": doing,
        },
    }
    if g("education_level", ""):
        form["education"].append(
            {
                "level": g("education_level", ""),
                "school": g("school", ""),
                "major": g("major", ""),
                "start_date": g("education_start_date", ""),
                "graduation_date": g("graduation_date", ""),
                "diploma_number": g("diploma_number", ""),
                "degree": g("degree", ""),
                "degree_number": g("degree_number", ""),
            }
        )
    if g("qualification_level", ""):
        form["qualifications"].append(
            {
                "series": "accounting",
                "level": g("qualification_level", ""),
                "obtained_by": g("qualification_obtained_by", ""),
                "obtained_on": g("qualification_obtained_on", ""),
                "certificate_number": g("qualification_certificate_number", ""),
                "authority": g("qualification_authority", ""),
            }
        )
    return normalize_form_and_json(form)


def _imported_problem(problem: Problem) -> bool:
    if problem.code != "required":
        return True
    # The form asks for a field the old system never had: only the core fields are required.
    return problem.field in REQUIRED_ON_IMPORT


def check_row(row: dict[str, str], *, tables: CodeTables, today: dt.date) -> CheckedRow:
    form, form_json = build_form_and_json(row)
    if form["category"] is None:
        problems = [Problem("category", "unknown_code", f"登记类别“{row.get('category')}”应为 1 至 5")]
        form["category"] = 1
    else:
        problems = []
    problems += [
        p for p in validate_form(form, check_attachments=False, tables=tables, today=today) if _imported_problem(p)
    ]
    district = row.get("district", "") or managing_district(form)
    if not district:
        problems.append(Problem("district", "required", "请填写管理区（属地）"))
    elif district not in tables.units:
        problems.append(Problem("district", "unknown_code", f"管理区“{district}”不是本市的区（或管理单元）"))
    collected_on = None
    if row.get("collected_on"):
        try:
            collected_on = v.parse_date(row["collected_on"])
            v.validate_not_future(collected_on, today=today)
        except ValidationError as exc:
            problems.append(Problem("collected_on", exc.code, f"原采集日期：{exc.messages[0]}"))
            collected_on = None
    password_hash = row.get("password_hash", "")
    if password_hash:
        try:
            identify_hasher(password_hash)
        except ValueError:
            # Never plaintext: only a hash in a format one of our hashers reads is kept.
            problems.append(
                Problem("password_hash", "unsupported_password_hash", "原系统密码须为可识别的哈希值（不接受明文）")
            )
    return CheckedRow(
        id_number=form["basic"]["id_number"],
        name=form["basic"]["name"],
        district=district,
        phone=form["basic"]["phone"],
        form=form,
        form_json=form_json,
        collected_on=collected_on,
        password_hash=password_hash,
        problems=problems,
    )


def field_label(field: str) -> str:
    """basic.id_number → 证件号码 (our template's label for the column the problem is about)."""
    last = field.rsplit(".", 1)[-1]
    aliases = {"level": "education_level", "status": "employment_status", "obtained_on": "qualification_obtained_on"}
    return LABELS.get(last) or LABELS.get(aliases.get(last, ""), "") or field
