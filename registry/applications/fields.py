"""The collection form's fields as people see them: each field's Chinese label, widget and code
table, grouped in the sections of the paper form. The one source of labels for every page that
shows form data (labels.py) and for the web's step-by-step form (web/collection_steps.py)."""

from dataclasses import dataclass


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
    entry_title: str = ""  # a repeated section's short name: "学历" → "学历（第2条）"


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
    entry_title="学历",
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
    entry_title="专业技术资格",
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
    entry_title="执业资格",
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
    entry_title="会计工作经历",
)
# 信息变更 asks first when the change happened: a change is to be filed within 3 months of it.
CHANGE_EVENT = Section(
    "other",
    "变更事项",
    (
        Field(
            "change_event_date",
            "变更事项发生日期",
            "date",
            help="单位、学历、资格等发生变化的日期。应在变化之日起3个月内办理变更；超过的仍可提交，请在“备注”中说明原因",
        ),
    ),
)
OTHER = Section(
    "other",
    "其他信息",
    (
        Field("party_member", "中共党员", "checkbox"),
        Field("titles", "聘任职称"),
        Field("honors", "荣誉"),
        Field("remarks", "备注", "textarea", help="如退休未返聘、逾期办理变更等需要说明的情况"),
    ),
)

SECTIONS = (CHANGE_EVENT, CATEGORY, BASIC, EDUCATION, QUALIFICATIONS, PRACTICING, EMPLOYMENT, WORK_HISTORY, OTHER)
