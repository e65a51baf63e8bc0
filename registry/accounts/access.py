"""The one permission layer: may this user see this person / application / file?

Rules (PRODUCT.md "Privacy and security"):
- a municipal admin (or superuser) sees everything;
- a district reviewer sees what belongs to one of their districts;
- anyone sees what they own;
- nobody else sees anything, and is answered 404 (never "it exists but is not yours");
- what has no district yet (a draft) is its owner's alone — admins included;
- staff never act on their own application or record (claim, decide, reassign, revoke, recover):
  `refuse_own` — see decisions/0006.

Models that hold personal data declare `access_owner_field` and `access_district_field`
(dotted ORM paths) and use `ScopedQuerySet`, so every list and detail goes through `visible_to`.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Q
from django.http import Http404

from registry.core.errors import ServiceError

from .models import Role


def is_active_user(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_admin(user) -> bool:
    return is_active_user(user) and (user.is_superuser or user.role == Role.ADMIN)


def is_reviewer(user) -> bool:
    return is_active_user(user) and user.role == Role.REVIEWER


def is_staff_member(user) -> bool:
    return is_admin(user) or is_reviewer(user)


def district_codes(user) -> frozenset[str]:
    """The districts a reviewer covers, read once per request: with the user themself when they are
    identified (accounts.identity), else here on first use; kept on the request's user object."""
    if not is_reviewer(user):
        return frozenset()
    cached = getattr(user, "_district_codes", None)
    if cached is None:
        cached = remember_district_codes(user, user.districts.values_list("code", flat=True))
    return cached


def remember_district_codes(user, codes) -> frozenset[str]:
    """Keep a reviewer's district codes on the user object for the rest of the request."""
    user._district_codes = frozenset(codes)
    return user._district_codes


def can_act_for_district(user, district_code: str | None) -> bool:
    """May this staff member review / decide / act on what is managed by `district_code`?
    Nothing without a district (a draft) is any staff member's business."""
    if not district_code:
        return False
    return is_admin(user) or district_code in district_codes(user)


class StaffOnly(ServiceError, PermissionDenied):
    """Refused at the staff gate: the API answers 403 problem+json (ServiceError), the web its 403
    page (PermissionDenied)."""

    status = 403


def require_staff(user, *, admin: bool = False):
    """The one staff gate of the web pages and the API: a district reviewer or a municipal admin
    (`admin=True`: a municipal admin only). Returns the user."""
    if admin and not is_admin(user):
        raise StaffOnly("forbidden", "仅市财政局管理员可以使用此功能。")
    if not is_staff_member(user):
        raise StaffOnly("forbidden", "仅区财政局审核员和市财政局管理员可以使用此功能。")
    return user


def is_own(user, owner_id) -> bool:
    return owner_id is not None and user is not None and owner_id == user.pk


def refuse_own(user, owner_id, *, what: str = "申请") -> None:
    """Staff may apply like any accountant, but never act on their own case: someone else decides
    (another reviewer of the district, or a municipal admin)."""
    if is_own(user, owner_id):
        raise ServiceError(
            "own_application",
            f"不能办理本人的{what}：本人的{what}须由本区其他审核员或市财政局管理员办理。",
            status=403,
        )


def can_access(user, *, owner_id: int | None, district_code: str | None) -> bool:
    if not is_active_user(user):
        return False
    if owner_id is not None and owner_id == user.pk:
        return True
    return can_act_for_district(user, district_code)


def can_view(user, obj) -> bool:
    """For any object with `access_owner_id` and `access_district_code` attributes."""
    return can_access(user, owner_id=obj.access_owner_id, district_code=obj.access_district_code)


def filter_visible(queryset: models.QuerySet, user, *, owner_field: str | None, district_field: str | None):
    if not is_active_user(user):
        return queryset.none()
    conditions = [Q(**{owner_field: user.pk})] if owner_field else []
    if is_admin(user):
        if not district_field:
            return queryset
        # Admins see everything that belongs to a district; a draft has none yet.
        conditions.append(Q(**{f"{district_field}__isnull": False}))
    elif district_field and (codes := district_codes(user)):
        conditions.append(Q(**{f"{district_field}__in": sorted(codes)}))
    if not conditions:
        return queryset.none()
    return queryset.filter(conditions[0] | conditions[1] if len(conditions) == 2 else conditions[0])


def get_or_404(queryset: models.QuerySet, **lookup):
    """One object of an already scoped queryset, or 404 — a malformed id is just "not found"."""
    try:
        return queryset.get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError, ValidationError):
        raise Http404 from None


def get_visible_or_404(queryset: models.QuerySet, user, **lookup):
    """Fetch one object through the model's scoping, or 404 whether it is missing or not yours."""
    return get_or_404(queryset.visible_to(user), **lookup)


class ScopedQuerySet(models.QuerySet):
    """Base queryset for models holding personal data. Set on the model:
    access_owner_field = "person__user" ; access_district_field = "district" (or "district_id")."""

    def visible_to(self, user):
        """What this user may see: their own, and (staff) what their districts manage."""
        return filter_visible(
            self,
            user,
            owner_field=getattr(self.model, "access_owner_field", None),
            district_field=getattr(self.model, "access_district_field", None),
        )

    def in_districts_of(self, user):
        """What this user sees as staff: their districts' (admins: every district's), never their own
        as owner — the review queue, the district's lists. Nothing for a non-staff user."""
        return filter_visible(
            self, user, owner_field=None, district_field=getattr(self.model, "access_district_field", None)
        )
