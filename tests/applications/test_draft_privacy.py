"""A draft has no district yet: it and its files are its owner's alone — admins included."""

import pytest

from registry.applications import services
from registry.applications.models import Application, Attachment

pytestmark = pytest.mark.django_db


def test_admin_cannot_read_a_drafts_attachment_until_it_is_submitted(api, ready, person, municipal_admin):
    attachments = list(ready.attachments.current())
    api.login(municipal_admin.phone)
    for attachment in attachments:
        assert api.get(f"/api/v1/attachments/{attachment.pk}/content").status_code == 404
    assert not Attachment.objects.visible_to(municipal_admin).filter(application=ready).exists()
    assert not Application.objects.visible_to(municipal_admin).filter(pk=ready.pk).exists()
    api.login(person.phone)
    assert api.get(f"/api/v1/attachments/{attachments[0].pk}/content").status_code == 200

    services.application_submit(application=ready, actor=person)
    api.login(municipal_admin.phone)
    response = api.get(f"/api/v1/attachments/{attachments[0].pk}/content")
    assert response.status_code == 200 and b"".join(response.streaming_content)
