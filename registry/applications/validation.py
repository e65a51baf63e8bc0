"""Submission checks for the collection form: every problem at once, each with a dotted field path,
a stable code and a Chinese message (API.md "The form")."""

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from registry.core import refdata
from registry.core import validators as v

from .models import AttachmentKind

IN_WORK = ("employed", "rehired")
WITHOUT_UNIT = ("no_unit", "retired")
PARTY_MEMBER_STATUSES = {"01", "02"}  # 政治面貌 codes of a 中共党员 (and 预备党员)


@dataclass(frozen=True)
class Problem:
    field: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return {"field": self.field, "code": self.code, "message": self.message}


class CodeTables:
    """The code lists and regions a form is checked against, read once per validation."""

    def __init__(self):
        # Cached per process (core.refdata), shared read only.
        self.codes: dict[str, dict[str, refdata.CodeRow]] = defaultdict(dict, refdata.active_codes())
        self.regions = refdata.current_region_codes()
        self.units = refdata.jurisdiction_unit_codes()

    def has(self, kind: str, value: str) -> bool:
        return value in self.codes[kind]

    def extra(self, kind: str, value: str) -> dict:
        code = self.codes[kind].get(value)
        return code.extra if code else {}


def managing_district(form: dict) -> str:
    """属地: the unit's district for people at work, the residence district otherwise (PRODUCT.md)."""
    employment = form.get("employment") or {}
    if employment.get("status") in IN_WORK:
        return employment.get("unit_district") or ""
    return (form.get("basic") or {}).get("residence_district") or ""


class _Checker:
    def __init__(self, form: dict, tables: CodeTables, today: dt.date, account_phone: str | None):
        self.form, self.tables, self.today, self.account_phone = form, tables, today, account_phone
        self.problems: list[Problem] = []
        self.birth: dt.date | None = None

    def add(self, field: str, code: str, message: str) -> None:
        self.problems.append(Problem(field, code, message))

    def required(self, field: str, value, label: str) -> bool:
        if value in (None, "") or (isinstance(value, str) and not value.strip()):
            self.add(field, "required", f"请填写{label}")
            return False
        return True

    def code(self, field: str, kind: str, value: str, label: str, *, required: bool = True) -> bool:
        if not value:
            if required:
                self.add(field, "required", f"请选择{label}")
            return False
        if not self.tables.has(kind, value):
            self.add(field, "unknown_code", f"{label}“{value}”不在代码表中，请从列表中选择")
            return False
        return True

    def date(self, field: str, value: str, label: str, *, required: bool = True) -> dt.date | None:
        if not value:
            if required:
                self.add(field, "required", f"请填写{label}")
            return None
        try:
            day = v.parse_date(value)
            v.validate_not_future(day, today=self.today)
        except ValidationError as exc:
            self.add(field, exc.code, f"{label}：{exc.messages[0]}")
            return None
        if self.birth and day < self.birth:
            self.add(field, "date_order", f"{label}不能早于出生日期")
            return None
        return day

    def order(self, field: str, earlier: dt.date | None, later: dt.date | None, message: str) -> None:
        if earlier and later and earlier > later:
            self.add(field, "date_order", message)

    def not_before_age(self, field: str, day: dt.date | None, years: int, message: str) -> None:
        if day and self.birth:
            try:
                threshold = self.birth.replace(year=self.birth.year + years)
            except ValueError:  # born on 29 February
                threshold = self.birth.replace(year=self.birth.year + years, day=28)
            if day < threshold:
                self.add(field, "implausible_date", message)


def validate_form(
    form: dict,
    *,
    attachments: list[dict] | None = None,
    account_phone: str | None = None,
    today: dt.date | None = None,
    tables: CodeTables | None = None,
    check_attachments: bool = True,
    application_type: str = "first_collection",
) -> list[Problem]:
    """All problems of a (normalized) form and its current attachments ([{"kind", "ref"}])."""
    c = _Checker(form, tables or CodeTables(), today or dt.date.today(), account_phone)
    _check_basic(c, form["basic"])
    _check_education(c, form["education"])
    _check_qualifications(c, form)
    _check_practicing(c, form["practicing"])
    _check_employment(c, form)
    _check_scope(c, form)
    if application_type == "change":
        # 信息变更 asks when the change happened; late filing is flagged to the reviewer, not refused.
        c.date("other.change_event_date", form["other"]["change_event_date"], "变更事项发生日期")
    if check_attachments:
        _check_attachments(c, form, attachments or [])
    return c.problems


def _check_basic(c: _Checker, basic: dict) -> None:
    p = "basic."
    c.required(p + "name", basic["name"], "姓名")
    if basic["gender"] not in ("M", "F"):
        c.add(p + "gender", "required", "请选择性别")
    birth = None
    if basic["birth_date"]:
        birth = c.date(p + "birth_date", basic["birth_date"], "出生日期")
    else:
        c.add(p + "birth_date", "required", "请填写出生日期")
    if c.code(p + "id_type", "id_type", basic["id_type"], "证件类型") and c.required(
        p + "id_number", basic["id_number"], "证件号码"
    ):
        try:
            if basic["id_type"] == "resident_id":
                resident = v.validate_resident_id(basic["id_number"], today=c.today)
                if birth and birth != resident.birth_date:
                    c.add(
                        p + "birth_date",
                        "id_mismatch",
                        f"出生日期与身份证号码不一致（身份证号码中为 {resident.birth_date:%Y-%m-%d}）",
                    )
                if basic["gender"] in ("M", "F") and basic["gender"] != resident.gender:
                    c.add(
                        p + "gender",
                        "id_mismatch",
                        f"性别与身份证号码不一致（身份证号码中为{'男' if resident.gender == 'M' else '女'}）",
                    )
                birth = birth or resident.birth_date
            else:
                v.validate_id_document(basic["id_type"], basic["id_number"])
        except ValidationError as exc:
            c.add(p + "id_number", exc.code, exc.messages[0])
            if exc.code == "invalid_checksum" and birth:
                # One mistyped digit fails the checksum; the date digits may still tell which field is wrong.
                _compare_birth_digits(c, basic["id_number"], birth)
    c.birth = birth
    if birth:
        age = (c.today - birth).days // 365
        if age < 16 or age > 100:
            c.add(
                p + "birth_date",
                "implausible_date",
                f"按出生日期计算年龄为 {age} 岁，不在会计人员的合理年龄范围内，请核对",
            )
    c.code(p + "ethnicity", "ethnicity", basic["ethnicity"], "民族")
    c.code(p + "political_status", "political_status", basic["political_status"], "政治面貌")
    party = c.tables.codes["political_status"]
    if c.form["other"]["party_member"] and basic["political_status"] in set(party) - PARTY_MEMBER_STATUSES:
        name = party[basic["political_status"]].name
        c.add(
            "other.party_member",
            "inconsistent",
            f"已勾选“中共党员”，但政治面貌为“{name}”，请核对（中共党员、中共预备党员请选择对应的政治面貌）",
        )
    if c.required(p + "phone", basic["phone"], "手机号码"):
        try:
            phone = v.validate_mobile(basic["phone"])
            if c.account_phone and phone != c.account_phone:
                c.add(p + "phone", "phone_mismatch", "手机号码须为已验证的登录手机号；如需更换请在“我的账号”中办理")
        except ValidationError as exc:
            c.add(p + "phone", exc.code, exc.messages[0])
    if basic["email"] and ("@" not in basic["email"] or "." not in basic["email"].split("@")[-1]):
        c.add(p + "email", "invalid_format", "电子邮箱格式不正确")
    if (
        c.required(p + "hukou_region", basic["hukou_region"], "户籍所在地")
        and basic["hukou_region"] not in c.tables.regions
    ):
        c.add(p + "hukou_region", "unknown_code", "户籍所在地须为有效的行政区划代码")
    c.required(p + "residence_address", basic["residence_address"], "常住地址")


def _compare_birth_digits(c: _Checker, number: str, birth: dt.date) -> None:
    try:
        in_number = dt.datetime.strptime(number.strip()[6:14], "%Y%m%d").date()
    except ValueError:
        return
    if in_number != birth:
        c.add("basic.birth_date", "id_mismatch", f"出生日期与身份证号码第7至14位（{in_number:%Y-%m-%d}）不一致")


def _check_education(c: _Checker, entries: list[dict]) -> None:
    if not entries:
        c.add("education", "required", "请至少填写一条学历信息（从最高学历开始）")
        return
    ranks = []
    for i, e in enumerate(entries):
        p = f"education.{i}."
        if c.code(p + "level", "education_level", e["level"], "学历"):
            ranks.append(c.tables.extra("education_level", e["level"]).get("rank", 0))
        c.required(p + "school", e["school"], "毕业院校")
        if e["level"] not in ("high_school_or_below", ""):
            c.required(p + "major", e["major"], "所学专业")
            c.required(p + "diploma_number", e["diploma_number"], "毕业证书编号")
        start = c.date(p + "start_date", e["start_date"], "入学日期")
        end = c.date(p + "graduation_date", e["graduation_date"], "毕业日期")
        c.order(p + "graduation_date", start, end, "毕业日期不能早于入学日期")
        if e["degree"] and e["degree"] != "none":
            c.code(p + "degree", "degree", e["degree"], "学位")
            c.required(p + "degree_number", e["degree_number"], "学位证书编号")
        if e["overseas"]:
            c.required(p + "overseas_cert_number", e["overseas_cert_number"], "教育部留学服务中心认证报告编号")
    if ranks != sorted(ranks, reverse=True):
        c.add("education", "education_order", "学历请从最高学历开始依次填写")


def _check_qualifications(c: _Checker, form: dict) -> None:
    seen: dict[str, int] = {}
    for i, q in enumerate(form["qualifications"]):
        p = f"qualifications.{i}."
        if c.code(p + "series", "qualification_series", q["series"], "资格系列") and q["series"] != "accounting":
            if form["category"] != 5:
                c.add(
                    p + "series", "not_allowed", "审计、经济、统计系列资格只在登记类别5（准备报考中级会计资格）时填写"
                )
        c.code(p + "level", "qualification_level", q["level"], "资格级别")
        c.code(p + "obtained_by", "qualification_method", q["obtained_by"], "取得方式")
        day = c.date(p + "obtained_on", q["obtained_on"], "取得时间")
        c.not_before_age(p + "obtained_on", day, 18, "取得专业技术资格时应已年满18周岁，请核对取得时间或出生日期")
        number = q["certificate_number"].upper()
        if c.required(p + "certificate_number", number, "证书编号或批准文号"):
            if number in seen:
                c.add(p + "certificate_number", "duplicate", f"与第 {seen[number] + 1} 条资格的证书编号重复")
            seen.setdefault(number, i)
        c.required(p + "authority", q["authority"], "发证（批准）机关")


def _check_practicing(c: _Checker, entries: list[dict]) -> None:
    for i, e in enumerate(entries):
        p = f"practicing.{i}."
        c.code(p + "kind", "practicing_kind", e["kind"], "执业资格类别")
        c.required(p + "certificate_number", e["certificate_number"], "执业证书编号")
        c.date(p + "obtained_on", e["obtained_on"], "取得时间")


def _check_employment(c: _Checker, form: dict) -> None:
    e, p = form["employment"], "employment."
    if not c.code(p + "status", "employment_status", e["status"], "任职状态"):
        return
    if e["status"] in IN_WORK:
        c.required(p + "unit_name", e["unit_name"], "工作单位全称")
        type_ok = c.code(p + "unit_type", "unit_type", e["unit_type"], "单位类型")
        if c.required(p + "unit_uscc", e["unit_uscc"], "统一社会信用代码"):
            try:
                uscc = v.validate_uscc(e["unit_uscc"])
            except ValidationError as exc:
                c.add(p + "unit_uscc", exc.code, exc.messages[0])
            else:
                if type_ok:
                    _cross_check_unit_type(c, p, uscc, e["unit_type"])
        if (
            c.required(p + "unit_district", e["unit_district"], "单位所在区")
            and e["unit_district"] not in c.tables.units
        ):
            c.add(
                p + "unit_district",
                "unknown_code",
                "单位所在区须为本市的区（或管理单元）；单位在外省市的，请在当地办理",
            )
        c.code(p + "position", "position", e["position"], "职务（岗位）")
        day = c.date(p + "accounting_since", e["accounting_since"], "参加会计工作时间", required=e["doing_accounting"])
        c.not_before_age(p + "accounting_since", day, 16, "参加会计工作时应已年满16周岁，请核对")
    else:
        district = form["basic"]["residence_district"]
        if c.required("basic.residence_district", district, "常住地所在区（无工作单位或退休人员由常住地所在区管理）"):
            if district not in c.tables.units:
                c.add("basic.residence_district", "unknown_code", "常住地所在区须为本市的区（或管理单元）")
    if form["category"] == 1:
        for i, w in enumerate(form["work_history"]):
            wp = f"work_history.{i}."
            c.required(wp + "unit_name", w["unit_name"], "单位名称")
            start = c.date(wp + "start_date", w["start_date"], "开始日期")
            end = c.date(wp + "end_date", w["end_date"] or "", "结束日期", required=False)
            c.order(wp + "end_date", start, end, "结束日期不能早于开始日期")
            if w["unit_uscc"]:
                try:
                    v.validate_uscc(w["unit_uscc"])
                except ValidationError as exc:
                    c.add(wp + "unit_uscc", exc.code, exc.messages[0])
            if w["unit_type"]:
                c.code(wp + "unit_type", "unit_type", w["unit_type"], "单位类型")
            if w["industry"]:
                c.code(wp + "industry", "industry", w["industry"], "行业")


def _cross_check_unit_type(c: _Checker, p: str, uscc: str, unit_type: str) -> None:
    prefix = uscc[:2]
    owners = [k for k, code in c.tables.codes["unit_type"].items() if prefix in code.extra.get("uscc_prefixes", [])]
    if owners and unit_type not in owners:
        expected = c.tables.codes["unit_type"][owners[0]].name
        c.add(
            p + "unit_type",
            "uscc_unit_type_mismatch",
            f"统一社会信用代码前两位“{prefix}”表示{expected}，与所选单位类型不一致",
        )


def _check_scope(c: _Checker, form: dict) -> None:
    category, e = form["category"], form["employment"]
    if category not in (1, 2, 3, 4, 5):
        c.add("category", "required", "请选择登记类别")
        return
    qualified = any(q["series"] == "accounting" and q["level"] for q in form["qualifications"])
    doing = e["status"] in IN_WORK and e["doing_accounting"]
    if category == 1 and not doing:
        c.add(
            "employment.doing_accounting",
            "category_mismatch",
            "登记类别1为从事会计工作的人员：任职状态须为在职或退休返聘，且正在从事会计工作",
        )
    if category == 2 and not qualified:
        c.add("qualifications", "category_mismatch", "登记类别2须具有会计专业技术资格，请填写资格信息")
    if category == 2 and doing:
        c.add(
            "employment.doing_accounting",
            "category_mismatch",
            "登记类别2为不从事会计工作的人员；正在从事会计工作的，请选择登记类别1",
        )
    if category in (3, 4) and e["status"] in IN_WORK:
        c.add("employment.status", "category_mismatch", "登记类别3、4为无工作单位的人员")
    if category == 4 and not any(entry["level"] == "doctorate" for entry in form["education"]):
        c.add("education", "category_mismatch", "登记类别4为博士研究生：请在学历信息中填写博士研究生学历")
    if category == 5 and not any(
        q["series"] != "accounting" and q["level"] == "intermediate" for q in form["qualifications"]
    ):
        c.add("qualifications", "category_mismatch", "登记类别5须填写中级经济、统计或审计资格")
    if category in (1, 2) and not qualified and not doing:
        c.add(
            "category",
            "out_of_scope",
            "既不从事会计工作、又未取得会计专业技术资格的人员不属于会计人员信息采集范围，无需采集",
        )


CHANGE_FILING_MONTHS = 3


def change_deadline(event: dt.date) -> dt.date:
    """The last day to file a change: 3 calendar months after the event (31 May → 31 August,
    30 November → 28 or 29 February)."""
    month = event.month - 1 + CHANGE_FILING_MONTHS
    year, month = event.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(event.day, calendar.monthrange(year, month)[1]))


def late_change(form: dict, *, on: dt.date) -> tuple[dt.date, dt.date] | None:
    """(event, deadline) when a change filed `on` that day is later than 3 months after the event
    it reports; None when on time or when no valid event date was given. Late is allowed, not
    refused: the applicant is told before submitting, the reviewer is shown a warning."""
    raw = ((form or {}).get("other") or {}).get("change_event_date") or ""
    try:
        event = dt.date.fromisoformat(raw)
    except ValueError:
        return None
    deadline = change_deadline(event)
    return (event, deadline) if on > deadline else None


def residence_proof_required(form: dict, jurisdiction: str | None = None) -> bool:
    """Non-local hukou, no local social insurance, and no unit here (PRODUCT.md "Materials")."""
    jurisdiction = (jurisdiction or settings.REGISTRY_JURISDICTION)[:2]
    basic, status = form["basic"], form["employment"]["status"]
    return (
        status in WITHOUT_UNIT
        and bool(basic["hukou_region"])
        and not basic["hukou_region"].startswith(jurisdiction)
        and not basic["local_social_insurance"]
    )


def required_materials(form: dict) -> list[tuple[str, int | None, str]]:
    """(kind, ref, label) of every material the form calls for."""
    needed = [
        (AttachmentKind.ID_FRONT, None, "身份证人像面"),
        (AttachmentKind.ID_BACK, None, "身份证国徽面"),
        (AttachmentKind.PHOTO, None, "标准证件照"),
    ]
    for i, e in enumerate(form["education"]):
        needed.append((AttachmentKind.DIPLOMA, i, f"第 {i + 1} 条学历的毕业证书"))
        if e["degree"] and e["degree"] != "none":
            needed.append((AttachmentKind.DEGREE, i, f"第 {i + 1} 条学历的学位证书"))
        if e["overseas"]:
            needed.append((AttachmentKind.OVERSEAS_CERT, i, f"第 {i + 1} 条学历的留学服务中心认证报告"))
    for i, _ in enumerate(form["qualifications"]):
        needed.append((AttachmentKind.QUALIFICATION_CERT, i, f"第 {i + 1} 条专业技术资格证书（编号页和个人信息页）"))
    for i, _ in enumerate(form["practicing"]):
        needed.append((AttachmentKind.PRACTICING_CERT, i, f"第 {i + 1} 条执业资格证书"))
    if residence_proof_required(form):
        needed.append((AttachmentKind.RESIDENCE_PROOF, None, "在京居住证明（居住证、房产证明或租赁合同）"))
    return needed


def missing_materials(form: dict, attachments: list[dict]) -> list[tuple[str, int | None, str]]:
    present = {(a["kind"], a.get("ref")) for a in attachments}
    return [(kind, ref, label) for kind, ref, label in required_materials(form) if (kind, ref) not in present]


def _check_attachments(c: _Checker, form: dict, attachments: list[dict]) -> None:
    for kind, ref, label in missing_materials(form, attachments):
        field = f"attachments.{kind}" + (f".{ref}" if ref is not None else "")
        c.add(field, "missing_attachment", f"请上传{label}")
