"""Who a notice (or a campaign) reaches: an audience is a small JSON description, checked and
normalised once by `audience_clean`, and turned into people by `audience_people` whenever it is
needed (the count at publication, then batch after batch during the fan-out).

    {"kind": "all"}
    {"kind": "districts", "districts": ["110105", "110108"]}
    {"kind": "qualification_level", "levels": ["intermediate"]}      highest accounting level
    {"kind": "ce_noncompliant", "year": 2025}                         continuing education, one year
    {"kind": "campaign_nonresponders", "campaign": "<id>"}
    {"kind": "id_list", "id_numbers": ["…", …]}                       an uploaded list
    {"kind": "no_update_years", "years": 3}                           campaign template: no new version since

Every kind but `all` and `districts` may be narrowed by `districts`; a district reviewer's audience
always is (their own districts; 403 for others or for `all`). People are the records managed here
(normal, abnormal, frozen, transferring out) that have an account, in user-id order: an imported
record nobody has claimed yet has no inbox and cannot answer a campaign, so it is neither counted
nor reached (claimed, it is).

Kinds whose data lives in another app are *providers* registered with `register_audience(kind,
users)`: `users(audience)` returns a queryset (or list) of user ids. `campaign_nonresponders` is
registered by registry.campaigns; `ce_noncompliant` uses a registered provider, or else
`registry.credits.selectors.noncompliant_user_ids(year, districts)` when that app exists —
see docs/decisions/0010-notices-campaigns-integrity.md.
"""

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone

from registry.accounts import access
from registry.core.errors import ServiceError
from registry.core.models import Code, Region
from registry.core.selectors import jurisdiction_units
from registry.records.models import Record, RecordStatus, RecordVersion

LEVELS = ["junior", "intermediate", "senior", "professor"]  # lowest first
MANAGED_HERE = [RecordStatus.NORMAL, RecordStatus.ABNORMAL, RecordStatus.FROZEN, RecordStatus.TRANSFERRING_OUT]
NOTICE_KINDS = ["all", "districts", "qualification_level", "ce_noncompliant", "campaign_nonresponders", "id_list"]
CAMPAIGN_KINDS = ["all", "districts", "qualification_level", "no_update_years"]
KIND_LABELS = {
    "all": "全部人员",
    "districts": "指定区",
    "qualification_level": "按资格级别",
    "ce_noncompliant": "继续教育未达标",
    "campaign_nonresponders": "集中核查未答复人员",
    "id_list": "上传名单",
    "no_update_years": "多年未更新信息",
}
# Qualification entries looked at per person (nobody lists more than four accounting levels).
MAX_QUALIFICATIONS = 8

_providers: dict[str, Callable[[dict], object]] = {}
_checks: dict[str, Callable[[dict], None]] = {}


def register_audience(kind: str, users: Callable[[dict], object], *, check: Callable[[dict], None] | None = None):
    """`users(audience)`: the user ids it reaches; `check(audience)` raises ServiceError if wrong."""
    _providers[kind] = users
    if check is not None:
        _checks[kind] = check


def _provider(kind: str):
    if kind in _providers:
        return _providers[kind]
    if kind == "ce_noncompliant":
        try:
            from registry.credits.selectors import noncompliant_user_ids
        except ImportError:
            return None
        # users only: an imported record nobody has claimed yet has no inbox
        return lambda audience: [
            pk for pk in noncompliant_user_ids(audience["year"], audience.get("districts")) if pk is not None
        ]
    return None


def _bad(code: str, message: str, field: str = "audience.kind") -> ServiceError:
    return ServiceError(code, message, field=field)


def _forbidden(message: str) -> ServiceError:
    return ServiceError("outside_districts", message, status=403)


def audience_clean(*, actor, audience: dict, kinds=NOTICE_KINDS) -> dict:
    """The audience checked for this staff member, in its stored form. 400 for bad input, 403 for
    a district reviewer reaching beyond their districts."""
    if not isinstance(audience, dict):
        raise _bad("invalid_input", "发送范围格式不正确", "audience")
    kind = audience.get("kind")
    if kind not in kinds:
        raise _bad("unknown_audience", "发送范围只能是：" + "、".join(KIND_LABELS[k] for k in kinds))
    districts = _clean_districts(audience.get("districts"))
    if access.is_reviewer(actor) and not access.is_admin(actor):
        own = access.district_codes(actor)
        if kind == "all":
            raise _forbidden("区审核员只能向本区人员发送，请选择本区。")
        if not set(districts) <= own:
            raise _forbidden("区审核员只能向本区人员发送：所选的区不在您负责的范围内。")
        districts = districts or sorted(own)
    elif not access.is_admin(actor) and actor is not None:
        raise ServiceError("forbidden", "仅区财政局审核员和市财政局管理员可以使用此功能。", status=403)
    clean: dict = {"kind": kind}
    if kind == "districts" and not districts:
        raise _bad("required", "请选择至少一个区", "audience.districts")
    if districts:
        clean["districts"] = districts
    if kind == "qualification_level":
        levels = audience.get("levels") or []
        if not levels or not isinstance(levels, list) or not set(levels) <= set(LEVELS):
            raise _bad("unknown_code", "请选择资格级别（初级、中级、高级、正高级）", "audience.levels")
        clean["levels"] = [level for level in LEVELS if level in levels]
    elif kind == "ce_noncompliant":
        clean["year"] = _int(audience.get("year"), 2000, timezone.localdate().year, "audience.year", "年度")
        if _provider(kind) is None:
            raise _bad("ce_unavailable", "继续教育学分数据尚未接入，暂不能按“继续教育未达标”发送。")
    elif kind == "campaign_nonresponders":
        campaign = str(audience.get("campaign") or "")
        if not campaign:
            raise _bad("required", "请选择集中核查", "audience.campaign")
        clean["campaign"] = campaign
        if kind in _checks:
            _checks[kind](clean)
    elif kind == "no_update_years":
        clean["years"] = _int(audience.get("years"), 1, 30, "audience.years", "年数")
    elif kind == "id_list":
        clean.update(_resolve_id_list(audience.get("id_numbers"), districts))
        if not clean["user_ids"]:
            where = "由您负责的区管理、" if access.is_reviewer(actor) and not access.is_admin(actor) else ""
            raise _bad(
                "no_match",
                f"名单中没有可接收通知的人员（须为{where}在册并已注册账号的人员），请核对证件号码。",
                "audience.id_numbers",
            )
    return clean


def _int(value, low: int, high: int, field: str, what: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _bad("required", f"请填写{what}", field) from None
    if not low <= number <= high:
        raise _bad("out_of_range", f"{what}须在 {low} 至 {high} 之间", field)
    return number


def _clean_districts(value) -> list[str]:
    if not value:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad("invalid_input", "区须为代码列表", "audience.districts")
    codes = sorted(set(value))
    # Only this deployment's districts: another province's unit is not ours to write to.
    known = set(jurisdiction_units().filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise _bad("unknown_code", f"未知的区代码：{'、'.join(unknown)}", "audience.districts")
    return codes


def _resolve_id_list(id_numbers, districts: list[str]) -> dict:
    """An uploaded list becomes the user ids it matches (inside `districts` if set). The ID numbers
    themselves are not kept; how many matched nobody (here or in the reviewer's districts) is."""
    if not isinstance(id_numbers, list) or not id_numbers:
        raise _bad("required", "请上传身份证件号码名单", "audience.id_numbers")
    wanted = sorted({str(n).strip().upper() for n in id_numbers if str(n).strip()})
    if len(wanted) > settings.NOTICE_ID_LIST_MAX:
        raise _bad("too_many", f"名单最多 {settings.NOTICE_ID_LIST_MAX} 人", "audience.id_numbers")
    people = _base(districts)
    user_ids: list[int] = []
    for start in range(0, len(wanted), 1000):
        chunk = wanted[start : start + 1000]
        user_ids += people.filter(id_number__in=chunk).values_list("user_id", flat=True)
    return {"user_ids": sorted(user_ids), "listed": len(wanted), "unmatched": len(wanted) - len(user_ids)}


def _base(districts: list[str] | None = None):
    people = Record.objects.filter(status__in=MANAGED_HERE, user__isnull=False)
    return people.filter(district_id__in=districts) if districts else people


def _has_level(levels: list[str]) -> Q:
    found = Q(pk__in=[])
    for i in range(MAX_QUALIFICATIONS):
        found |= Q(
            **{f"data__qualifications__{i}__series": "accounting", f"data__qualifications__{i}__level__in": levels}
        )
    return found


def _highest_level_in(levels: list[str]) -> Q:
    """The person's highest accounting level (in their current record version) is one of `levels`."""
    current = RecordVersion.objects.filter(record_id=OuterRef("pk"), version=OuterRef("version"))
    condition = Q(pk__in=[])
    for level in levels:
        higher = LEVELS[LEVELS.index(level) + 1 :]
        holds = Exists(current.filter(_has_level([level])))
        if higher:
            holds &= ~Exists(current.filter(_has_level(higher)))
        condition |= holds
    return condition


def audience_people(audience: dict):
    """The records the audience reaches (a queryset; order it by user_id for a fan-out)."""
    kind = audience["kind"]
    people = _base(audience.get("districts"))
    if kind in ("all", "districts"):
        return people
    if kind == "qualification_level":
        return people.filter(_highest_level_in(audience["levels"]))
    if kind == "id_list":
        return people.filter(user_id__in=audience["user_ids"])
    if kind == "no_update_years":
        cutoff = timezone.now() - dt.timedelta(days=365 * audience["years"] + audience["years"] // 4)
        recent = RecordVersion.objects.filter(record_id=OuterRef("pk"), created_at__gte=cutoff)
        return people.filter(~Exists(recent))
    provider = _provider(kind)
    if provider is None:
        return people.none()
    return people.filter(user_id__in=provider(audience))


def audience_batch(audience: dict, *, after: int, size: int, emails: bool = False) -> list[tuple[int, str, str]]:
    """(user id, phone, email) of the next `size` people after user id `after` (keyset, constant
    cost). The email (with `emails`; else "") is basic.email of the record's current version, read
    in the same statement."""
    if audience["kind"] == "id_list":  # the list is sorted: take the next slice of it, then check it
        ids = [i for i in audience["user_ids"] if i > after][:size]
        rows = _base(audience.get("districts")).filter(user_id__in=ids)
    else:
        rows = audience_people(audience).filter(user_id__gt=after)
    rows = rows.order_by("user_id")
    if not emails:
        return [(user_id, phone, "") for user_id, phone in rows.values_list("user_id", "user__phone")[:size]]
    current = RecordVersion.objects.filter(record_id=OuterRef("pk"), version=OuterRef("version"))
    rows = rows.annotate(email=Subquery(current.values(address=KT("data__basic__email"))[:1]))
    return [
        (user_id, phone, email or "")
        for user_id, phone, email in rows.values_list("user_id", "user__phone", "email")[:size]
    ]


def audience_label(audience: dict) -> str:
    kind = audience["kind"]
    text = KIND_LABELS.get(kind, kind)
    if kind == "qualification_level":
        names = dict(Code.objects.of("qualification_level").values_list("code", "name"))
        text = "最高资格级别为" + "、".join(names.get(level, level) for level in audience["levels"])
    elif kind == "ce_noncompliant":
        text = f"{audience['year']} 年度继续教育未达标人员"
    elif kind == "id_list":
        text = f"上传名单（{audience['listed']} 个证件号码，{len(audience['user_ids'])} 人在范围内）"
    elif kind == "no_update_years":
        text = f"{audience['years']} 年以上未更新信息的人员"
    if audience.get("districts"):
        names = dict(Region.objects.filter(code__in=audience["districts"]).values_list("code", "name"))
        where = "、".join(names.get(code, code) for code in audience["districts"])
        text = where if kind == "districts" else f"{where}：{text}"
    return text[:300]
