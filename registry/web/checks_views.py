"""The applicant's materials page asks here for a material's checks until they are done (HTMX)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from registry.accounts.access import get_visible_or_404
from registry.applications.models import Application


@never_cache
@login_required
def material_checks(request, application_id, attachment_id):
    """The checks of one of the person's own materials (404 for anyone else's)."""
    application = get_visible_or_404(
        Application.objects.filter(applicant=request.user), request.user, pk=application_id
    )
    attachment = get_visible_or_404(application.attachments.current(), request.user, pk=attachment_id)
    return render(request, "materials/_checks.html", {"application": application, "file": attachment})
