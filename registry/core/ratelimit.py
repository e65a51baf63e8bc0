"""Sliding-window limits kept in the database: one row per attempt, so every web worker on every
machine counts the same attempts (the SMS address limit, uploads, transfer-document codes)."""

import datetime as dt
from collections.abc import Callable

from django.db import models

from .errors import RateLimited


def record_attempt(
    model: type[models.Model],
    *,
    now: dt.datetime,
    limit: int,
    window: dt.timedelta,
    refusal: Callable[[float], RateLimited],
    **subject,
) -> models.Model:
    """Record one attempt of `subject` (the model's fields, e.g. ip=…) at `now`, unless `limit`
    attempts of it were recorded within `window`: then raise `refusal(seconds until the oldest
    leaves the window)`. A refused attempt is not kept, so refusals do not push the window further.
    Rows older than the window are pruned. The model needs an `at` field and an increasing pk."""
    rows = model.objects.filter(**subject)
    rows.filter(at__lte=now - window).delete()
    attempt = model.objects.create(at=now, **subject)
    earlier = rows.filter(at__gt=now - window, pk__lt=attempt.pk)
    if earlier.count() >= limit:
        attempt.delete()
        oldest = earlier.order_by("at").values_list("at", flat=True).first()
        raise refusal((oldest + window - now).total_seconds())
    return attempt
