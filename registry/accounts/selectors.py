"""Reads of accounts that the staff pages and the API run."""

from django.http import Http404

from .models import Role, User


def staff_members():
    """Every reviewer and admin account, districts prefetched (the admins' staff list)."""
    return (
        User.objects.filter(role__in=[Role.REVIEWER, Role.ADMIN])
        .prefetch_related("districts")
        .order_by("role", "phone")
    )


def reviewer_or_404(user_id) -> User:
    found = User.objects.filter(pk=user_id, role=Role.REVIEWER).first()
    if found is None:
        raise Http404
    return found


def user_by_id(user_id: str) -> User | None:
    """An account by its numeric id as a client sends it (anything else: None)."""
    return User.objects.filter(pk=user_id).first() if str(user_id).isdigit() else None
