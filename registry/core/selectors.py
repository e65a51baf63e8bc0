"""Reads of the code tables that several apps run."""

from django.conf import settings

from .models import Region


def jurisdiction_units():
    """This deployment's reviewing units (the districts whose finance bureaus review), in display order."""
    return Region.objects.reviewing_units().in_province(settings.REGISTRY_JURISDICTION).order_by("sort_order")
