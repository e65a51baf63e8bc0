"""The collection form as web steps: which fields each step shows, how they render, and how a
posted step is merged back into the form. Rules live in applications.validation, not here."""

from dataclasses import dataclass, field, replace

from registry.applications.fields import (
    BASIC,
    CATEGORY,
    CHANGE_EVENT,
    EDUCATION,
    EMPLOYMENT,
    OTHER,
    PRACTICING,
    QUALIFICATIONS,
    WORK_HISTORY,
    Field,
    Section,
)
from registry.applications.form import SECTION_LISTS, fill_from_id_number, normalize_form
from registry.core import refdata


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    sections: tuple[Section, ...] = field(default_factory=tuple)


STEPS = (
    Step("basic", "基本信息", (CATEGORY, BASIC)),
    Step("education", "学历", (EDUCATION,)),
    Step("qualifications", "资格", (QUALIFICATIONS, PRACTICING)),
    Step("employment", "工作单位", (EMPLOYMENT, WORK_HISTORY, OTHER)),
    Step("materials", "上传材料"),
    Step("review", "核对提交"),
)
STEP_SLUGS = [s.slug for s in STEPS]


def step_by_slug(slug: str) -> Step | None:
    return next((s for s in STEPS if s.slug == slug), None)


def step_for(slug: str, application_type: str) -> Step | None:
    """The step as this application shows it: a change asks first when the change happened."""
    step = step_by_slug(slug)
    if step is not None and slug == "basic" and application_type == "change":
        return replace(step, sections=(CHANGE_EVENT, *step.sections))
    return step


def step_of_field(path: str) -> str:
    """Which step shows a problem's field path ("education.0.school" → "education")."""
    head = path.split(".")[0]
    if head in ("attachments",):
        return "materials"
    if path == "other.change_event_date":
        return "basic"
    for step in STEPS:
        for section in step.sections:
            if section.key == head or (not section.key and head == "category"):
                return step.slug
    return "review"


def _value(raw: str, widget: str):
    return raw.strip() if isinstance(raw, str) else raw


def merge_step(form: dict, step: Step, post) -> dict:
    """The form with this step's posted fields replacing what was there (other steps untouched);
    birth date and gender follow a valid resident ID number unless typed otherwise."""
    before = normalize_form(form)
    form = normalize_form(form)
    for section in step.sections:
        if not section.key:
            for f in section.fields:
                raw = post.get(f.name, "")
                form[f.name] = int(raw) if raw.isdigit() else None
        elif section.repeat:
            entries = []
            for i in range(_count(post, section.key)):
                if post.get(f"{section.key}.{i}.removed") == "1":
                    continue
                entries.append({f.name: _posted(post, f"{section.key}.{i}.{f.name}", f) for f in section.fields})
            form[section.key] = entries
        else:
            form[section.key] = {
                **form[section.key],
                **{f.name: _posted(post, f"{section.key}.{f.name}", f) for f in section.fields},
            }
    form = normalize_form(form)
    if any(section.key == "basic" for section in step.sections):
        form = fill_from_id_number(form, before=before)
    return form


def _count(post, key: str) -> int:
    """How many entries the page posted for a section (a tampered count is clamped, never a 500)."""
    raw = post.get(f"{key}.count", "0") or "0"
    return max(0, min(int(raw), 10)) if raw.isdigit() else 0


def removed_entries(step: Step, post) -> dict[str, list[int]]:
    """Entries the applicant deleted on this page, per section (their materials must follow)."""
    removed = {}
    for section in step.sections:
        if section.repeat:
            gone = [i for i in range(_count(post, section.key)) if post.get(f"{section.key}.{i}.removed") == "1"]
            if gone:
                removed[section.key] = gone
    return removed


def _posted(post, path: str, f: Field):
    if f.widget == "checkbox":
        return post.getlist(path)[-1:] == ["1"]  # a hidden "0" precedes the checkbox
    value = post.get(path, "")
    if f.name == "end_date" and not value:
        return None
    return value.strip()


def add_entry(form: dict, section_key: str) -> dict:
    form = normalize_form(form)
    if section_key in SECTION_LISTS and len(form[section_key]) < 10:
        form[section_key].append(SECTION_LISTS[section_key]().model_dump())
    return form


def choices_for(f: Field, *, codes: dict) -> list[tuple[str, str]]:
    if f.choices:
        return list(f.choices)
    if f.codes:
        return codes.get(f.codes, [])
    return []


def code_choices() -> dict[str, list[tuple[str, str]]]:
    """Every active code list, in display order: {kind: [(code, name), …]} (read only, cached: refdata)."""
    return refdata.code_choices()


def code_labels(choices: dict[str, list[tuple[str, str]]] | None = None) -> dict[str, dict[str, str]]:
    """{kind: {code: name}} for showing stored codes by name."""
    return {kind: dict(pairs) for kind, pairs in (choices if choices is not None else code_choices()).items()}


def unit_choices() -> list[tuple[str, str]]:
    return [(u.code, u.name) for u in refdata.jurisdiction_units()]


def province_choices() -> list[tuple[str, str]]:
    return list(refdata.provinces())


def origin_province_choices() -> list[tuple[str, str]]:
    """The provinces a transfer in may come from: every one but this deployment's own."""
    return refdata.other_provinces()


def counties_of(province_code: str) -> list[tuple[str, str]]:
    return refdata.counties_of(province_code)
