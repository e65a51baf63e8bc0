"""The import file's columns (API.md "Import of existing records and claiming them").

`COLUMNS` is the documented template; `OPTIONAL_COLUMNS` may follow. Values are as in the collection
form: codes from the code tables, GB/T 2260 region codes, dates `YYYY-MM-DD`.
"""

COLUMNS = [
    "id_type",
    "id_number",
    "name",
    "gender",
    "birth_date",
    "phone",
    "ethnicity",
    "education_level",
    "school",
    "major",
    "graduation_date",
    "qualification_level",
    "qualification_obtained_on",
    "qualification_certificate_number",
    "employment_status",
    "unit_name",
    "unit_uscc",
    "unit_type",
    "unit_district",
    "position",
    "accounting_since",
    "district",
    "collected_on",
]

OPTIONAL_COLUMNS = [
    "category",
    "political_status",
    "email",
    "hukou_region",
    "residence_address",
    "residence_district",
    "education_start_date",
    "diploma_number",
    "degree",
    "degree_number",
    "qualification_obtained_by",
    "qualification_authority",
    "department",
    "doing_accounting",
    "password_hash",
]

ALL_COLUMNS = COLUMNS + OPTIONAL_COLUMNS

LABELS = {
    "id_type": "证件类型",
    "id_number": "证件号码",
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "phone": "手机号码",
    "ethnicity": "民族",
    "education_level": "学历",
    "school": "毕业院校",
    "major": "所学专业",
    "graduation_date": "毕业日期",
    "qualification_level": "会计专业技术资格级别",
    "qualification_obtained_on": "资格取得时间",
    "qualification_certificate_number": "资格证书编号",
    "employment_status": "任职状态",
    "unit_name": "工作单位全称",
    "unit_uscc": "统一社会信用代码",
    "unit_type": "单位类型",
    "unit_district": "单位所在区",
    "position": "职务（岗位）",
    "accounting_since": "参加会计工作时间",
    "district": "管理区（属地）",
    "collected_on": "原采集日期",
    "category": "登记类别",
    "political_status": "政治面貌",
    "email": "电子邮箱",
    "hukou_region": "户籍所在地",
    "residence_address": "常住地址",
    "residence_district": "常住地所在区",
    "education_start_date": "入学日期",
    "diploma_number": "毕业证书编号",
    "degree": "学位",
    "degree_number": "学位证书编号",
    "qualification_obtained_by": "资格取得方式",
    "qualification_authority": "发证（批准）机关",
    "department": "所在部门",
    "doing_accounting": "是否从事会计工作",
    "password_hash": "原系统密码哈希",
}

# Our Chinese labels are accepted as headers too, so a template filled in by hand loads as is.
HEADER_ALIASES = {label: key for key, label in LABELS.items()}


def template_csv() -> str:
    return ",".join(COLUMNS) + "\n"
