"""Reference data held per process (core.refdata): read once, not per request; an admin's edit is
seen on the next request, in this process at once and in the others through the shared stamp."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry.core import refdata
from registry.core.models import Code, Region
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _contacts(client) -> str:
    response = client.get("/contacts/")
    assert response.status_code == 200
    return response.content.decode()


def _admin_client() -> Client:
    admin = UserFactory(admin=True, is_superuser=True, password=None)
    client = Client()
    client.force_login(admin)
    return client


def _change_form(region: Region, **changes) -> dict:
    data = {
        "name": region.name,
        "level": region.level,
        "parent": region.parent_id or "",
        "valid_from_year": region.valid_from_year or "",
        "valid_to_year": region.valid_to_year or "",
        "bureau_name": region.bureau_name,
        "contact_phone": region.contact_phone,
        "contact_address": region.contact_address,
        "sort_order": region.sort_order,
    }
    if region.is_reviewing_unit:
        data["is_reviewing_unit"] = "on"
    data.update(changes)
    return data


def test_the_tables_are_read_once_not_per_request(client):
    _contacts(client)
    with CaptureQueriesContext(connection) as queries:
        _contacts(client)
    assert not [q for q in queries if "core_region" in q["sql"] or "core_code" in q["sql"]]


def test_an_admin_edit_of_a_district_contact_is_seen_on_the_next_request(client, django_capture_on_commit_callbacks):
    chaoyang, haidian = Region.objects.get(code="110105"), Region.objects.get(code="110108")
    Region.objects.filter(code="110108").update(contact_phone="010-88880000")
    refdata.clear()
    assert "010-88880000" in _contacts(client)  # the copy is now held

    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_client().post(
            f"/admin/core/region/{chaoyang.code}/change/", _change_form(chaoyang, contact_phone="010-65090000")
        )
    assert response.status_code == 302, response.content.decode()[:2000]

    page = _contacts(client)
    assert "010-65090000" in page
    assert "010-88880000" in page  # the other district as it was
    assert Region.objects.get(code=haidian.code).contact_phone == "010-88880000"


def test_a_code_retired_in_the_admin_leaves_the_choices_at_once(django_capture_on_commit_callbacks):
    from registry.web import collection_steps as cs

    code = Code.objects.filter(kind="ethnicity", active=True).order_by("sort_order").last()
    other = Code.objects.filter(kind="ethnicity", active=True).exclude(pk=code.pk).first()
    assert (code.code, code.name) in cs.code_choices()["ethnicity"]
    with django_capture_on_commit_callbacks(execute=True):
        response = _admin_client().post(
            "/admin/core/code/",
            {  # the change list's editable columns; "active" unticked
                "form-TOTAL_FORMS": "1",
                "form-INITIAL_FORMS": "1",
                "form-0-id": code.pk,
                "form-0-name": code.name,
                "form-0-sort_order": code.sort_order,
                "_save": "保存",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert not Code.objects.get(pk=code.pk).active
    choices = cs.code_choices()["ethnicity"]
    assert (code.code, code.name) not in choices
    assert (other.code, other.name) in choices
    assert cs.code_labels()["ethnicity"] == dict(choices)
    from registry.applications.labels import code_names

    assert code_names()["ethnicity"][code.code] == code.name  # old records still name it


def test_another_processs_edit_is_seen_at_the_next_request_through_the_shared_stamp(client):
    """Another process edits and, after its commit, publishes a new stamp; this process holds its
    copy until the stamp changes and rereads at its next request (no Redis here: the stamp file)."""
    _contacts(client)
    Region.objects.filter(code="110105").update(contact_phone="010-11112222")  # no signal in this process
    assert "010-11112222" not in _contacts(client)  # the copy is held while the stamp is unchanged

    refdata._stamp_path().write_text("published-by-another-process")
    assert "010-11112222" in _contacts(client)
    with CaptureQueriesContext(connection) as queries:
        _contacts(client)
    assert not [q for q in queries if "core_region" in q["sql"]]  # and then held again


def test_with_redis_the_stamp_is_shared_through_it(client, settings, tmp_path, django_capture_on_commit_callbacks):
    """Gunicorn workers (maybe on several hosts) with REDIS_URL: an edit here publishes its stamp in
    Redis after the commit; a stamp published there by another process makes this one reread."""
    from django.core.cache.backends.redis import RedisCache

    from tests.workers import private_redis

    with private_redis(tmp_path) as server:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}
        }
        other_process = RedisCache(server.url, {})  # another worker's own connection to the same Redis
        _contacts(client)
        with django_capture_on_commit_callbacks(execute=True):
            region = Region.objects.get(code="110105")
            region.contact_phone = "010-55556666"
            region.save()
        published = refdata._shared_stamp()
        assert published not in (None, "0")
        assert "010-55556666" in _contacts(client)

        Region.objects.filter(code="110105").update(contact_phone="010-77778888")  # another process's edit
        assert "010-77778888" not in _contacts(client)
        other_process.set(refdata._CACHE_KEY, "another-process", None)
        assert refdata._shared_stamp() == "another-process"
        assert "010-77778888" in _contacts(client)
