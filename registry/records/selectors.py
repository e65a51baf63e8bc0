from registry.accounts import access

from .models import Record, RecordMove


def person_for_staff(*, actor, id_number: str):
    """The account of the person with this ID number, if the staff member's districts manage them.
    None when there is no such person *or* they belong to another district (the caller answers 404)."""
    record = (
        Record.objects.visible_to(actor)
        .select_related("user")
        .filter(id_number=id_number.upper(), user__isnull=False)  # an unclaimed imported record has no account
        .first()
    )
    if record is None or not access.can_act_for_district(actor, record.district_id):
        return None
    return record


def moves_away(user, *, limit: int = 20) -> list[RecordMove]:
    """People who left this reviewer's districts lately (their home page): the old district is told."""
    return list(
        RecordMove.objects.in_districts_of(user)
        .select_related("record", "to_district", "from_district")
        .order_by("-at")[:limit]
    )
