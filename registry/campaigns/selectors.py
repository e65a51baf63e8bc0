from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q

from registry.accounts import access
from registry.applications.models import Application, ApplicationStatus, ApplicationType
from registry.core.errors import ServiceError

from .models import Campaign, CampaignTarget


def _change_since_opened():
    """A change application submitted since the campaign opened answers it (API.md: "a change
    application counts as an answer when submitted"); the deadline job writes that answer down."""
    return Application.objects.filter(
        applicant_id=OuterRef("user_id"),
        type=ApplicationType.CHANGE,
        submitted_at__gte=OuterRef("campaign__created_at"),
    ).exclude(status__in=[ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN])


def unanswered(targets=None):
    targets = CampaignTarget.objects.all() if targets is None else targets
    return targets.filter(answered_at__isnull=True).exclude(Exists(_change_since_opened()))


def answered_by_change(targets):
    return targets.filter(answered_at__isnull=True, marked_at__isnull=True).filter(Exists(_change_since_opened()))


def answered_late_by_change(targets):
    """Marked non-responders who have filed a change since: a late answer, which lifts the mark."""
    return targets.filter(answered_at__isnull=True, marked_at__isnull=False, cleared_at__isnull=True).filter(
        Exists(_change_since_opened())
    )


def open_tasks(user) -> list[CampaignTarget]:
    """The person's unanswered campaigns: open ones, and closed ones whose mark a late answer clears."""
    if not access.is_active_user(user):
        return []
    return list(
        unanswered(CampaignTarget.objects.filter(user=user)).select_related("campaign").order_by("campaign__deadline")
    )


def nonresponder_user_ids(audience: dict):
    """Audience provider for notices: `campaign_nonresponders`."""
    try:
        return unanswered(CampaignTarget.objects.filter(campaign_id=audience["campaign"])).values("user_id")
    except (ValidationError, ValueError):
        return []


def check_campaign_audience(audience: dict) -> None:
    try:
        found = Campaign.objects.filter(pk=audience["campaign"]).exists()
    except (ValidationError, ValueError):
        found = False
    if not found:
        raise ServiceError("unknown_campaign", "未找到该集中核查", field="audience.campaign")


def campaigns_for_staff(actor):
    """Admins and district reviewers see every campaign (its progress only for their districts)."""
    return Campaign.objects.all() if access.is_staff_member(actor) else Campaign.objects.none()


def campaign_progress(campaign: Campaign, actor) -> dict:
    """In scope, answered and marked (a mark still in force), in total and per district, over
    the districts this staff member may see."""
    targets = CampaignTarget.objects.filter(campaign=campaign)
    if not access.is_admin(actor):
        targets = targets.filter(district_id__in=sorted(access.district_codes(actor)))
    rows = (
        targets.annotate(changed=Exists(_change_since_opened()))
        .values("district_id")
        .annotate(
            in_scope=Count("pk"),
            answered=Count("pk", filter=Q(answered_at__isnull=False) | Q(changed=True)),
            marked=Count("pk", filter=Q(marked_at__isnull=False, cleared_at__isnull=True)),
        )
        .order_by("district_id")
    )
    by_district = {r["district_id"]: {k: r[k] for k in ("in_scope", "answered", "marked")} for r in rows}
    total = {k: sum(d[k] for d in by_district.values()) for k in ("in_scope", "answered", "marked")}
    if access.is_admin(actor) and not campaign.tasks_created:
        total["in_scope"] = max(total["in_scope"], campaign.in_scope)  # tasks still being created
    return {"campaign": campaign, **total, "by_district": by_district}


def record_campaign_marks(record) -> list[dict]:
    """The campaign marks in force on a record (for the verification API and the record page)."""
    return [
        {"campaign": str(t.campaign_id), "name": t.campaign.name, "mark": t.mark, "since": t.marked_at}
        for t in CampaignTarget.objects.filter(record=record, marked_at__isnull=False, cleared_at__isnull=True)
        .select_related("campaign")
        .order_by("marked_at")
    ]
