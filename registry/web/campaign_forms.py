"""Forms of the notices, campaigns and integrity pages (kept apart from forms.py)."""

from django import forms

from registry.core.selectors import jurisdiction_units
from registry.notices.audiences import LEVELS

LEVEL_CHOICES = list(zip(LEVELS, ["初级", "中级", "高级", "正高级"], strict=True))
NOTICE_KIND_CHOICES = [
    ("all", "全部人员"),
    ("districts", "指定区"),
    ("qualification_level", "按资格级别"),
    ("ce_noncompliant", "继续教育未达标（按年度）"),
    ("campaign_nonresponders", "集中核查未答复人员"),
    ("id_list", "上传身份证件号码名单"),
]
CAMPAIGN_KIND_CHOICES = [
    ("all", "全部人员"),
    ("districts", "指定区"),
    ("qualification_level", "按资格级别"),
    ("no_update_years", "多年未更新信息（模板：三年未更新→异常）"),
]


def district_choices(user):
    from registry.accounts import access

    units = jurisdiction_units()
    if not access.is_admin(user):
        units = units.filter(code__in=sorted(access.district_codes(user)))
    return [(r.code, r.name) for r in units]


class AudienceFields(forms.Form):
    districts = forms.MultipleChoiceField(
        label="区", required=False, widget=forms.CheckboxSelectMultiple, help_text="不选：全部（区审核员：本区）"
    )
    levels = forms.MultipleChoiceField(
        label="资格级别（最高级别）", required=False, choices=LEVEL_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["districts"].choices = district_choices(user)

    def audience(self, kind: str) -> dict:
        data = self.cleaned_data
        audience = {"kind": kind, "districts": data.get("districts") or None, "levels": data.get("levels") or None}
        for name in ("year", "campaign", "years"):
            if data.get(name) not in (None, ""):  # 0 is a value (refused by the service), not a blank
                audience[name] = data[name]
        if data.get("id_numbers"):
            audience["id_numbers"] = data["id_numbers"].split()
        return {k: v for k, v in audience.items() if v is not None}


class NoticeForm(AudienceFields):
    title = forms.CharField(label="标题", max_length=100)
    body = forms.CharField(label="正文", max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))
    kind = forms.ChoiceField(label="发送范围", choices=NOTICE_KIND_CHOICES)
    year = forms.IntegerField(label="继续教育年度", required=False)
    campaign = forms.ChoiceField(label="集中核查", required=False)
    id_numbers = forms.CharField(
        label="身份证件号码名单", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="每行一个"
    )
    sms = forms.BooleanField(label="同时发送短信", required=False)
    email = forms.BooleanField(
        label="同时发送电子邮件",
        required=False,
        help_text="发往人员信息中登记的电子邮箱；未登记邮箱的人员只收到站内通知",
    )
    publish_at = forms.DateTimeField(
        label="定时发布",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="不填：立即发布",
    )
    field_order = [
        "title",
        "body",
        "kind",
        "districts",
        "levels",
        "year",
        "campaign",
        "id_numbers",
        "sms",
        "email",
        "publish_at",
    ]

    def __init__(self, *args, campaigns=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [("", "—")] + [(str(c.pk), c.name) for c in campaigns]


class CampaignForm(AudienceFields):
    name = forms.CharField(label="核查名称", max_length=100)
    kind = forms.ChoiceField(label="范围", choices=CAMPAIGN_KIND_CHOICES)
    years = forms.IntegerField(label="未更新年数", required=False, initial=3)
    deadline = forms.DateField(label="截止日期", widget=forms.DateInput(attrs={"type": "date"}))
    on_no_response = forms.ChoiceField(label="逾期未答复", choices=[("abnormal", "标注为异常"), ("frozen", "冻结")])
    remind_days = forms.IntegerField(label="截止前几天提醒", initial=7, min_value=0, max_value=60)
    field_order = ["name", "kind", "districts", "levels", "years", "deadline", "on_no_response", "remind_days"]


class IntegrityForm(forms.Form):
    id_number = forms.CharField(label="身份证件号码", max_length=18)
    kind = forms.ChoiceField(
        label="类别", choices=[("reward", "表彰奖励"), ("penalty", "行政处罚"), ("ban", "禁止从事会计工作")]
    )
    summary = forms.CharField(label="事由", max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    document_number = forms.CharField(label="文号", max_length=100, help_text="如：京财会罚〔2026〕12号")
    starts_on = forms.DateField(label="起始日期", widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(
        label="截止日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="禁止从事会计工作的截止日",
    )
