"""The collection form as web steps: which fields each step shows, how they render, and how a
posted step is merged back into the form. Rules live in applications.validation, not here."""

from dataclasses import dataclass, field

from registry.applications.form import SECTION_LISTS, normalize_form
from registry.core.models import Code, Region
from registry.core.selectors import jurisdiction_units


@dataclass(frozen=True)
class Field:
    name: str  # key inside its section ("name", "id_number"); the full path adds the section
    label: str
    widget: str = "text"  # text | date | select | checkbox | textarea | email | tel | region | unit
    codes: str = ""  # code table kind for selects
    help: str = ""
    choices: tuple = ()


@dataclass(frozen=True)
class Section:
    key: str  # "basic", "education", … ; "" for top-level fields (category)
    title: str
    fields: tuple[Field, ...]
    repeat: bool = False
    add_label: str = ""


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    sections: tuple[Section, ...] = field(default_factory=tuple)


CATEGORY = Section(
    "",
    "登记类别",
    (
        Field(
            "category", "登记类别", "select", "registration_category", "只有从事会计工作的人员（类别1）需填写工作经历"
        ),
    ),
)
BASIC = Section(
    "basic",
    "基本信息",
    (
        Field("name", "姓名", help="生僻字可用 * 代替"),
        Field("id_type", "证件类型", "select", "id_type"),
        Field("id_number", "证件号码", help="居民身份证号码将自动校验，出生日期和性别须与之一致"),
        Field("gender", "性别", "select", choices=(("M", "男"), ("F", "女"))),
        Field("birth_date", "出生日期", "date"),
        Field("ethnicity", "民族", "select", "ethnicity"),
        Field("political_status", "政治面貌", "select", "political_status"),
        Field("phone", "手机号码", "tel", help="即登录手机号；如需更换请到“我的账号”办理"),
        Field("email", "电子邮箱", "email"),
        Field("hukou_region", "户籍所在地", "region"),
        Field("residence_address", "常住地址"),
        Field("residence_district", "常住地所在区", "unit", help="无工作单位或退休未返聘的人员由常住地所在区管理"),
        Field("local_social_insurance", "在本市缴纳社会保险", "checkbox"),
    ),
)
EDUCATION = Section(
    "education",
    "学历信息（从最高学历开始）",
    (
        Field("level", "学历", "select", "education_level"),
        Field("school", "毕业院校"),
        Field("major", "所学专业"),
        Field("start_date", "入学日期", "date"),
        Field("graduation_date", "毕业日期", "date"),
        Field("diploma_number", "毕业证书编号"),
        Field("degree", "学位", "select", "degree"),
        Field("degree_number", "学位证书编号"),
        Field("overseas", "境外学历学位", "checkbox"),
        Field("overseas_cert_number", "留学服务中心认证报告编号", help="境外学历必填"),
    ),
    repeat=True,
    add_label="增加一条学历",
)
QUALIFICATIONS = Section(
    "qualifications",
    "专业技术资格（初级、中级、高级、正高级）",
    (
        Field("series", "资格系列", "select", "qualification_series"),
        Field("level", "资格级别", "select", "qualification_level"),
        Field("obtained_by", "取得方式", "select", "qualification_method"),
        Field("obtained_on", "取得时间", "date"),
        Field("certificate_number", "证书编号或批准文号"),
        Field("authority", "发证（批准）机关"),
    ),
    repeat=True,
    add_label="增加一条资格",
)
PRACTICING = Section(
    "practicing",
    "执业资格（注册会计师、税务师、资产评估师等）",
    (
        Field("kind", "执业资格", "select", "practicing_kind"),
        Field("certificate_number", "证书编号"),
        Field("obtained_on", "取得时间", "date"),
    ),
    repeat=True,
    add_label="增加一条执业资格",
)
EMPLOYMENT = Section(
    "employment",
    "工作单位及职务",
    (
        Field("status", "任职状态", "select", "employment_status"),
        Field("unit_name", "工作单位全称", help="劳务派遣人员填写实际用工（支付薪酬）的单位"),
        Field("unit_uscc", "统一社会信用代码", help="18位，见营业执照或登记证书"),
        Field("unit_type", "单位类型", "select", "unit_type"),
        Field("unit_district", "单位所在区", "unit", help="决定由哪个区财政局审核"),
        Field("department", "部门"),
        Field("position", "职务（岗位）", "select", "position"),
        Field("accounting_since", "参加会计工作时间", "date"),
        Field("doing_accounting", "目前从事会计工作", "checkbox"),
    ),
)
WORK_HISTORY = Section(
    "work_history",
    "会计工作经历（登记类别1填写）",
    (
        Field("start_date", "开始日期", "date"),
        Field("end_date", "结束日期", "date", help="至今可不填"),
        Field("unit_name", "单位名称"),
        Field("unit_uscc", "统一社会信用代码"),
        Field("unit_type", "单位类型", "select", "unit_type"),
        Field("industry", "行业", "select", "industry"),
        Field("post", "会计岗位"),
    ),
    repeat=True,
    add_label="增加一段经历",
)
OTHER = Section(
    "other",
    "其他信息",
    (
        Field(
            "change_event_date",
            "变更事项发生日期",
            "date",
            help="办理信息变更时填写：单位、学历、资格等变化的日期（须在3个月内办理）",
        ),
        Field("party_member", "中共党员", "checkbox"),
        Field("titles", "聘任职称"),
        Field("honors", "荣誉"),
        Field("remarks", "备注", "textarea", help="如退休未返聘等需要说明的情况"),
    ),
)

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


def step_of_field(path: str) -> str:
    """Which step shows a problem's field path ("education.0.school" → "education")."""
    head = path.split(".")[0]
    if head in ("attachments",):
        return "materials"
    for step in STEPS:
        for section in step.sections:
            if section.key == head or (not section.key and head == "category"):
                return step.slug
    return "review"


def _value(raw: str, widget: str):
    return raw.strip() if isinstance(raw, str) else raw


def merge_step(form: dict, step: Step, post) -> dict:
    """The form with this step's posted fields replacing what was there (other steps untouched)."""
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
    return normalize_form(form)


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
    """Every active code list, in display order: {kind: [(code, name), …]} (one query)."""
    table: dict[str, list[tuple[str, str]]] = {}
    for code in Code.objects.active().order_by("kind", "sort_order", "code"):
        table.setdefault(code.kind, []).append((code.code, code.name))
    return table


def code_labels(choices: dict[str, list[tuple[str, str]]] | None = None) -> dict[str, dict[str, str]]:
    """{kind: {code: name}} for showing stored codes by name."""
    return {kind: dict(pairs) for kind, pairs in (choices if choices is not None else code_choices()).items()}


def unit_choices() -> list[tuple[str, str]]:
    return [(u.code, u.name) for u in jurisdiction_units()]


def province_choices() -> list[tuple[str, str]]:
    return list(Region.objects.current().filter(level="province").order_by("code").values_list("code", "name"))


def counties_of(province_code: str) -> list[tuple[str, str]]:
    regions = Region.objects.current().in_province(province_code).filter(level__in=["county", "management_unit"])
    return [(r.code, r.name) for r in regions.exclude(name="市辖区").order_by("code")]
