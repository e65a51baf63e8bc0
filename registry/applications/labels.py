"""Chinese names for what a collection form holds: field labels from the form's sections
(fields.py), values from the code tables and the region tree.

`FormLabels` is the one way a form value reaches a page: the applicant's summary, the record page,
the reviewer's page and change diff, the API's diff labels. Nothing shows a dotted key
("employment.position") or a stored code ("110105", "supervisor") to a person.
"""

from collections.abc import Iterable

from registry.core import refdata

from .fields import CATEGORY, CHANGE_EVENT, SECTIONS, Field, Section
from .models import ApplicationType, AttachmentKind

EMPTY = "—"
GENDERS = {"M": "男", "F": "女"}
_SECTION_BY_KEY = {s.key: s for s in SECTIONS if s.key and s is not CHANGE_EVENT}
_SECTION_ORDER = {id(s): i for i, s in enumerate(SECTIONS)}

# What each material proves: the typed values a reviewer compares with the file ("信息与证明材料不一致").
MATERIAL_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    AttachmentKind.ID_FRONT: ("basic", ("name", "id_number", "gender", "birth_date")),
    AttachmentKind.ID_BACK: ("basic", ("id_number",)),
    AttachmentKind.PHOTO: ("basic", ("name",)),
    AttachmentKind.DIPLOMA: ("education", ("level", "school", "major", "graduation_date", "diploma_number")),
    AttachmentKind.DEGREE: ("education", ("degree", "degree_number")),
    AttachmentKind.OVERSEAS_CERT: ("education", ("overseas_cert_number",)),
    AttachmentKind.QUALIFICATION_CERT: (
        "qualifications",
        ("level", "obtained_on", "certificate_number", "authority"),
    ),
    AttachmentKind.PRACTICING_CERT: ("practicing", ("kind", "certificate_number", "obtained_on")),
    AttachmentKind.RESIDENCE_PROOF: ("basic", ("residence_address",)),
}
# The typed number each material must show, the other way round: (section, field) → material kind.
NUMBER_MATERIAL = {
    ("basic", "id_number"): AttachmentKind.ID_FRONT,
    ("education", "diploma_number"): AttachmentKind.DIPLOMA,
    ("education", "degree_number"): AttachmentKind.DEGREE,
    ("education", "overseas_cert_number"): AttachmentKind.OVERSEAS_CERT,
    ("qualifications", "certificate_number"): AttachmentKind.QUALIFICATION_CERT,
    ("practicing", "certificate_number"): AttachmentKind.PRACTICING_CERT,
}
VERSION_SOURCES = {**dict(ApplicationType.choices), "import": "批量导入", "imported": "外省市系统"}


def entry_title(section: Section, index: int) -> str:
    """ "学历（第2条）" for the second entry of the education section."""
    return f"{section.entry_title or section.title}（第{index + 1}条）"


def material_anchor(kind: str, ref: int | None) -> str:
    """The page anchor of a material, shared by the summary's links and the materials' figures."""
    return f"material-{kind}" + (f"-{ref}" if ref is not None else "")


def _spec(path: str) -> tuple[Section | None, int | None, Field | None]:
    """The section, entry index and field a dotted path names ("education.1.school")."""
    parts = path.split(".")
    if parts[0] == "category":
        return CATEGORY, None, CATEGORY.fields[0]
    if parts[1:] == ["change_event_date"]:
        return CHANGE_EVENT, None, CHANGE_EVENT.fields[0]
    section = _SECTION_BY_KEY.get(parts[0])
    if section is None:
        return None, None, None
    rest, index = parts[1:], None
    if section.repeat and rest and rest[0].isdigit():
        index, rest = int(rest[0]), rest[1:]
    field = next((f for f in section.fields if rest and f.name == rest[0]), None)
    return section, index, field


def path_order(path: str) -> tuple:
    """Sort key putting paths in the order the form shows them."""
    section, index, field = _spec(path)
    if section is None:
        return (len(SECTIONS), 0, 0, path)
    position = section.fields.index(field) if field is not None else -1
    return (_SECTION_ORDER[id(section)], index if index is not None else -1, position, path)


def code_names(kinds: Iterable[str] | None = None) -> dict[str, dict[str, str]]:
    """{kind: {code: name}} of every code, retired ones too (old records still name them). Cached
    per process (core.refdata); read only."""
    table = refdata.code_names()
    return table if kinds is None else {kind: table[kind] for kind in kinds if kind in table}


def region_names(codes: Iterable[str]) -> dict[str, str]:
    """{code: full name} ("河北省石家庄市长安区"; a Beijing district as "北京市朝阳区"), from the cached regions."""
    names = {}
    for code in {c for c in codes if c}:
        name = refdata.full_region_name(code)
        if name is not None:
            names[code] = name
    return names


def unit_names(codes: Iterable[str]) -> dict[str, str]:
    """{code: short name} of districts ("朝阳区") — the reviewing unit as people call it."""
    names = {}
    for code in {c for c in codes if c}:
        region = refdata.region(code)
        if region is not None:
            names[code] = region.name
    return names


class FormLabels:
    """Labels for one or more forms: the code tables are read once, regions once per `prepare`."""

    def __init__(self, *forms: dict, codes: dict[str, dict[str, str]] | None = None):
        self.codes = codes if codes is not None else code_names()
        self.regions: dict[str, str] = {}
        self.units: dict[str, str] = {}
        self.prepare(*forms)

    def prepare(self, *forms: dict) -> None:
        """Read the names of every region the forms mention (cached per process)."""
        regions, units = set(), set()
        for form in forms:
            basic, employment = form.get("basic") or {}, form.get("employment") or {}
            regions.add(basic.get("hukou_region") or "")
            units.update([basic.get("residence_district") or "", employment.get("unit_district") or ""])
        self.regions.update(region_names(regions - set(self.regions)))
        self.units.update(unit_names(units - set(self.units)))

    def field(self, path: str) -> str:
        """ "职务（岗位）", "学历（第2条）：毕业院校", "学历（第2条）" for a whole entry."""
        section, index, field = _spec(path)
        if section is None:
            return "其他信息"
        where = entry_title(section, index) if index is not None else ""
        if field is None:
            return where or section.title
        return f"{where}：{field.label}" if where else field.label

    def value(self, path: str, value) -> str:
        """A stored value as a person reads it: a code's name, a region's name, 是/否, "—" for nothing."""
        return self._field_value(_spec(path)[2], value)

    def _field_value(self, field: Field | None, value) -> str:
        if field is None:
            return EMPTY if value in (None, "", []) else str(value)
        if field.widget == "checkbox":
            return "是" if value else "否"
        if value in (None, ""):
            return "至今" if field.name == "end_date" else EMPTY
        text = str(value)
        if field.name == "gender":
            return GENDERS.get(text, text)
        if field.codes:
            return self.codes.get(field.codes, {}).get(text) or f"{text}（代码表中无此项）"
        if field.widget == "unit":
            return self.units.get(text) or self.regions.get(text) or f"{text}（未知地区）"
        if field.widget == "region":
            return self.regions.get(text) or f"{text}（未知地区）"
        return text

    def summary(self, form: dict) -> list[dict]:
        """The whole form, every field of every section in the form's order:
        [{"title", "repeat", "entries": [{"title", "rows": [{"path", "label", "value", "material"}]}]}].
        A typed certificate number carries the anchor of the material that must show it."""
        self.prepare(form)
        sections = []
        for section in SECTIONS:
            if section is CHANGE_EVENT and not (form.get("other") or {}).get("change_event_date"):
                continue  # asked only on a change
            if not section.key:
                values, prefix = [form], ""
            elif section.repeat:
                values, prefix = form.get(section.key) or [], section.key + "."
            else:
                values, prefix = [form.get(section.key) or {}], section.key + "."
            entries = []
            for i, values_i in enumerate(values):
                base = f"{prefix}{i}." if section.repeat else prefix
                rows = []
                for f in section.fields:
                    path = base + f.name
                    kind = NUMBER_MATERIAL.get((section.key, f.name))
                    rows.append(
                        {
                            "path": path,
                            "label": f.label,
                            "value": self._field_value(f, values_i.get(f.name)),
                            "material": material_anchor(kind, i if section.repeat else None)
                            if kind and values_i.get(f.name)
                            else "",
                        }
                    )
                entries.append({"title": entry_title(section, i) if section.repeat else "", "rows": rows})
            sections.append({"title": section.title, "repeat": section.repeat, "entries": entries})
        return sections

    def material_facts(self, form: dict, kind: str, ref: int | None) -> list[tuple[str, str]]:
        """[(label, value)] the form states that this material must prove."""
        if kind not in MATERIAL_FIELDS:
            return []
        key, names = MATERIAL_FIELDS[kind]
        section = _SECTION_BY_KEY[key]
        if section.repeat:
            entries = form.get(key) or []
            if ref is None or not 0 <= ref < len(entries):
                return []
            values, base = entries[ref], f"{key}.{ref}."
        else:
            values, base = form.get(key) or {}, f"{key}."
        fields = {f.name: f for f in section.fields}
        return [(fields[name].label, self.value(base + name, values.get(name))) for name in names]


def version_source_label(source: str) -> str:
    """A record version's origin: "首次采集", "信息变更", "外省市系统（首次采集）" …"""
    head, _, inner = (source or "").partition(":")
    name = VERSION_SOURCES.get(head, head or EMPTY)
    if inner:
        return f"{name}（{VERSION_SOURCES.get(inner, inner)}）"
    return name
