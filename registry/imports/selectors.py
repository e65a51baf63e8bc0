"""Reads for the admin page and statistics: how much of the registry is imported, how much claimed."""

from django.db.models import Count, Q

from registry.accounts import access
from registry.core.models import Region

from .models import ImportBatch, ImportedPerson


def imported_and_claimed_by_district(user=None) -> list[dict]:
    """[{"district", "name", "imported", "claimed", "unclaimed"}] per district, for the districts
    `user` may see (all with no user: the statistics job). One query."""
    rows = ImportedPerson.objects.all()
    if user is not None:
        rows = rows.visible_to(user)
    counts = (
        rows.values("record__district")
        .annotate(imported=Count("pk"), claimed=Count("pk", filter=Q(claimed_at__isnull=False)))
        .order_by("record__district")
    )
    names = dict(Region.objects.filter(code__in=[c["record__district"] for c in counts]).values_list("code", "name"))
    return [
        {
            "district": c["record__district"],
            "name": names.get(c["record__district"], c["record__district"]),
            "imported": c["imported"],
            "claimed": c["claimed"],
            "unclaimed": c["imported"] - c["claimed"],
        }
        for c in counts
    ]


def batches_for(user):
    """Import batches: municipal admins only (an import spans districts)."""
    if not access.is_admin(user):
        return ImportBatch.objects.none()
    return ImportBatch.objects.defer("upload", "report").select_related("created_by")
