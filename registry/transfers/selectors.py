"""Reads of transfer codes, scoped through `visible_to` where a person asks."""

from registry.accounts import access
from registry.core import compiled

from .models import TransferCode

_UNSET = object()


def code_of_transfer_out(application) -> TransferCode | None:
    """The code an approved transfer out issued (None before approval). Cached on the application,
    so the page and `available_actions` ask once."""
    cached = getattr(application, "_transfer_code", _UNSET)
    if cached is _UNSET:
        cached = TransferCode.objects.filter(transfer_out=application).select_related("destination_region").first()
        application._transfer_code = cached
    return cached


def codes_read(person) -> compiled.Read | compiled.Known:
    """A person's own codes, newest first (their record page and the API). The destination's name
    comes from the cached regions (core.refdata), not a join. `visible_to(person)` admits exactly an
    active account's own codes: read by the person's id through a statement compiled once (the ORM's
    building cost several times the query)."""
    if not access.is_active_user(person):
        return compiled.Known([])

    def owned(codes):
        for code in codes:
            code.person = person
        return codes

    return compiled.Read(
        "transfer codes of",
        TransferCode,
        lambda pk: TransferCode.objects.filter(person_id=pk).order_by("-issued_at"),
        person.pk,
        owned,
    )


def codes_of(person) -> list[TransferCode]:
    return compiled.read(codes_read(person))
