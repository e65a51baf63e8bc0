"""Reference data held per process (core.refdata): read once, not per request; an admin's edit is
seen on the next request, in this process at once and in the others through the shared stamp."""

from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from registry.core import refdata
from registry.core.models import Code, Region
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_stamp_file(settings, tmp_path):
    """Each test its own stamp file (none yet: stamp "0"): what another test or run left there
    must not decide whether this one sees a change."""
    settings.VAR_DIR = tmp_path


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


def test_an_edit_is_seen_in_this_process_at_once_before_it_commits():
    """The edit's own process drops its copy at the save, not at the commit: what the same
    request (or job) reads next is the edited row, and the other district is as it was."""
    haidian_phone = Region.objects.get(code="110108").contact_phone
    assert refdata.region("110105").contact_phone != "010-12340000"  # the copy is now held
    chaoyang = Region.objects.get(code="110105")
    chaoyang.contact_phone = "010-12340000"
    chaoyang.save()  # the test's transaction never commits: no new stamp is published
    assert refdata.region("110105").contact_phone == "010-12340000"
    assert refdata.region("110108").contact_phone == haidian_phone


def test_an_edit_writes_a_new_stamp_file_when_it_commits(django_capture_on_commit_callbacks):
    """No Redis: the other processes of the host learn of the edit from the stamp file, written
    whole under another name and renamed (a reader never sees half a stamp), none left behind."""
    refdata.region("110105")
    before = refdata._shared_stamp()
    with django_capture_on_commit_callbacks(execute=True):
        chaoyang = Region.objects.get(code="110105")
        chaoyang.contact_phone = "010-13570000"
        chaoyang.save()
    published = refdata._stamp_path().read_text()
    assert published not in (before, "0") and len(published) == 32
    assert not list(refdata._stamp_path().parent.glob(".refdata.*"))


def test_with_redis_away_the_copy_is_kept_and_an_edit_is_only_a_warning(
    settings, caplog, django_capture_on_commit_callbacks
):
    """Redis down (a restart, a deployment migrating before it is up): reading the stamp fails, so
    this process keeps its copy and says so in the log; an edit is saved and seen here, and the
    stamp it cannot publish is one warning line, not an error."""
    import logging

    from tests.helpers import free_port

    haidian_phone = Region.objects.get(code="110108").contact_phone
    refdata.region("110105")  # the copy, loaded while the stamp could be read
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
        }
    }
    Region.objects.filter(code="110105").update(contact_phone="010-24680000")  # no signal: no edit known
    with caplog.at_level(logging.WARNING, logger="registry.core.refdata"):
        refdata.new_request()
        assert refdata.region("110105").contact_phone != "010-24680000"  # the copy, not an error
        unreadable = [r for r in caplog.records if "stamp unreadable" in r.getMessage()]
        assert unreadable and unreadable[0].exc_info[1] is not None  # with the error's traceback
        with django_capture_on_commit_callbacks(execute=True):
            chaoyang = Region.objects.get(code="110105")
            chaoyang.contact_phone = "010-11223344"
            chaoyang.save()
    assert [r.exc_info for r in caplog.records if "could not publish" in r.getMessage()] == [None]
    assert refdata.region("110105").contact_phone == "010-11223344"
    assert refdata.region("110108").contact_phone == haidian_phone


def test_a_copy_older_than_five_minutes_is_read_again_without_a_new_stamp(monkeypatch):
    """The net for edits that bypass the ORM's signals (raw SQL): no stamp is published, so the copy
    is held, until it is REFDATA_MAX_AGE (300 s) old; then it is read again, the other district as it was."""
    clock = SimpleNamespace(monotonic=lambda: 1000.0)
    monkeypatch.setattr(refdata, "time", clock)
    haidian_phone = refdata.region("110108").contact_phone
    refdata.region("110105")
    Region.objects.filter(code="110105").update(contact_phone="010-97531000")
    clock.monotonic = lambda: 1000.0 + 290  # the stamp is compared: unchanged
    assert refdata.region("110105").contact_phone != "010-97531000"
    clock.monotonic = lambda: 1000.0 + 301
    assert refdata.region("110105").contact_phone == "010-97531000"
    assert refdata.region("110108").contact_phone == haidian_phone


def test_outside_requests_the_stamp_is_compared_at_most_once_a_second(monkeypatch):
    """A job or command reads the tables many times a second: it compares the stamp at most once a
    second, so another process's edit is seen from the next second on (a request: at its start)."""
    clock = SimpleNamespace(monotonic=lambda: 1000.0)
    monkeypatch.setattr(refdata, "time", clock)
    haidian_phone = refdata.region("110108").contact_phone
    refdata.region("110105")
    Region.objects.filter(code="110105").update(contact_phone="010-86420000")  # another process's edit
    refdata._stamp_path().write_text("published-by-another-process")  # and its stamp
    clock.monotonic = lambda: 1000.5
    assert refdata.region("110105").contact_phone != "010-86420000"  # within the second: the copy
    clock.monotonic = lambda: 1001.5
    assert refdata.region("110105").contact_phone == "010-86420000"
    assert refdata.region("110108").contact_phone == haidian_phone


def test_with_redis_the_stamps_client_is_made_once_per_thread_and_cache(settings, tmp_path, monkeypatch):
    """The stamp is read on every request: through one redis client kept for the thread's cache
    (the cache's get() makes one per call), and again from the cache the thread has now when the
    settings change (another key prefix: another deployment's stamp)."""
    from django.core.cache import caches

    from tests.workers import private_redis

    with private_redis(tmp_path) as server:
        settings.CACHES = {
            "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": server.url}
        }
        cache = caches["default"]
        cache.set(refdata._CACHE_KEY, "this deployment", None)
        made = []
        get_client = cache._cache.get_client
        monkeypatch.setattr(cache._cache, "get_client", lambda *a, **kw: made.append(kw) or get_client(*a, **kw))
        assert [refdata._shared_stamp() for _ in range(3)] == ["this deployment"] * 3
        assert made == [{"write": False}]

        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": server.url,
                "KEY_PREFIX": "another",
            }
        }
        caches["default"].set(refdata._CACHE_KEY, "another deployment", None)
        assert refdata._shared_stamp() == "another deployment"


def test_provinces_are_the_current_provinces_and_nothing_below_them():
    found = dict(refdata.provinces())
    assert found["110000"] == "北京市" and found["130000"] == "河北省"
    assert all(code.endswith("0000") for code in found)
    assert "110100" not in found and "110105" not in found


def test_full_region_names_beside_each_other():
    """Province, prefecture and county, without the 市辖区 and 县 placeholders; a province alone;
    nothing for a code that is no region."""
    assert refdata.full_region_name("110105") == "北京市朝阳区"
    assert refdata.full_region_name("130102") == "河北省石家庄市长安区"
    assert refdata.full_region_name("500221") == "重庆市长寿县"
    assert refdata.full_region_name("110000") == "北京市"
    assert refdata.full_region_name("990000") is None


def test_a_parent_loop_made_in_the_admin_still_gives_a_name():
    """The walk up the tree stops after three steps: a region made its own parent by a slip in the
    admin's parent field names itself instead of hanging every page that names it."""
    import threading

    Region.objects.filter(code="110105").update(parent_id="110105")
    refdata.clear()
    refdata.region("110105")  # held: the walk below reads only the copy
    names = {}
    walk = threading.Thread(
        target=lambda: names.update({c: refdata.full_region_name(c) for c in ("110105", "110108")}), daemon=True
    )
    walk.start()
    walk.join(timeout=10)
    assert names == {"110105": "朝阳区", "110108": "北京市海淀区"}
