"""Who is calling, in one statement each (accounts.identity, issue 17): the bearer token with its user
and a reviewer's districts, the web session and its user. Nothing may outlive a change: a revoked or
expired token, a deactivated user and a logged-out session fail on the very next call, in the same
process. And the cheap path sees exactly what the ORM would."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry.accounts import access, auth, identity
from registry.accounts.models import ApiToken, Session, User
from tests.factories import ApplicationFactory, UserFactory
from tests.helpers import statement_text

pytestmark = pytest.mark.django_db


def _bearer(user) -> tuple[ApiToken, dict]:
    key, token = auth.token_issue(user=user)
    return token, {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


# --- The token: revoked, expired, deactivated all fail at once -------------------------------------


def test_a_revoked_token_is_refused_on_the_next_call():
    token, headers = _bearer(UserFactory())
    api = Client()
    assert api.get("/api/v1/me", **headers).status_code == 200
    auth.token_revoke(token=token)
    assert api.get("/api/v1/me", **headers).status_code == 401


def test_a_token_is_refused_the_moment_it_expires_and_another_persons_is_not():
    token, headers = _bearer(UserFactory())
    _, others = _bearer(UserFactory())
    api = Client()
    assert api.get("/api/v1/me", **headers).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(microseconds=1))
    assert api.get("/api/v1/me", **headers).status_code == 401
    assert api.get("/api/v1/me", **others).status_code == 200


@pytest.mark.parametrize("role", ["applicant", "reviewer", "admin"])
def test_a_deactivated_users_token_and_session_are_refused_on_the_next_call(role):
    extra = {"reviewer": {"reviewer": True, "district_codes": ["110105"]}, "admin": {"admin": True}}.get(role, {})
    person = UserFactory(**extra)
    _, headers = _bearer(person)
    api, browser = Client(), Client()
    browser.force_login(person)
    page = "/staff/queue/" if role != "applicant" else "/account/"
    assert api.get("/api/v1/me", **headers).status_code == 200
    assert browser.get(page).status_code == 200
    User.objects.filter(pk=person.pk).update(is_active=False)
    assert api.get("/api/v1/me", **headers).status_code == 401
    response = browser.get(page)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_token_answers_one_statement_and_writes_its_last_use_at_most_once_a_minute():
    person = UserFactory(reviewer=True, district_codes=["110105", "110108"])
    token, headers = _bearer(person)
    key = headers["HTTP_AUTHORIZATION"].removeprefix("Bearer ")
    with CaptureQueriesContext(connection) as first:
        found = auth.token_authenticate(key)
    assert len(first) == 2  # the token with its user and districts; its first use written
    with CaptureQueriesContext(connection) as again:
        found = auth.token_authenticate(key)
        assert access.district_codes(found.user) == {"110105", "110108"}
    assert len(again) == 1


# --- The same rows as the ORM's -------------------------------------------------------------------


@pytest.mark.parametrize("role", ["applicant", "reviewer", "admin"])
def test_the_token_and_its_user_are_the_orms_rows(role):
    extra = {"reviewer": {"reviewer": True, "district_codes": ["110105"]}, "admin": {"admin": True}}.get(role, {})
    person = UserFactory(collected=True, **extra)
    User.objects.filter(pk=person.pk).update(last_login=timezone.now(), must_change_password=True)
    token, headers = _bearer(person)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    found = auth.token_authenticate(headers["HTTP_AUTHORIZATION"].removeprefix("Bearer "))
    expected = ApiToken.objects.select_related("user").get(pk=token.pk)
    assert type(found) is ApiToken and type(found.user) is User
    assert _fields(found) == _fields(expected)
    assert _fields(found.user) == _fields(expected.user)
    assert found.user.must_change_password is True and found.user.is_active is True
    assert found.user.last_login.tzinfo is not None and found.user._state.adding is False
    assert identity.user_by_id(str(person.pk)) is not None
    assert _fields(identity.user_by_id(str(person.pk))) == _fields(expected.user)


def test_the_session_user_is_none_for_a_missing_or_deactivated_id():
    person = UserFactory()
    assert identity.user_by_id(person.pk + 1000) is None
    assert identity.user_by_id("not a number") is None
    User.objects.filter(pk=person.pk).update(is_active=False)
    assert identity.user_by_id(person.pk) is None


# --- A reviewer's districts: with the identity, none asked later, each their own --------------------


def _district_reads(queries) -> list[str]:
    """Each statement that reads reviewers' districts: "identity" when it is the one that says who calls."""
    sqls = [statement_text(q["sql"]) for q in queries]
    return ["identity" if "CASE WHEN" in sql else sql for sql in sqls if "accounts_user_districts" in sql]


def test_reviewers_of_two_districts_each_see_only_their_own_through_the_cheap_path():
    chaoyang = UserFactory(reviewer=True, district_codes=["110105"])  # 朝阳区
    haidian = UserFactory(reviewer=True, district_codes=["110108"])  # 海淀区
    applications = in_chaoyang, in_haidian = [ApplicationFactory(district_id=code) for code in ("110105", "110108")]
    seen = {}
    for reviewer in (chaoyang, haidian):
        _, headers = _bearer(reviewer)
        api, browser = Client(), Client()
        browser.force_login(reviewer)
        api.get("/api/v1/review/applications", **headers)  # the token's first use is written
        with CaptureQueriesContext(connection) as queries:
            body = api.get("/api/v1/review/applications", **headers).json()
        assert _district_reads(queries) == ["identity"], queries
        with CaptureQueriesContext(connection) as queries:
            page = browser.get("/staff/queue/")
        assert page.status_code == 200
        assert _district_reads(queries) == ["identity"], queries
        html = page.content.decode()
        seen[reviewer.pk] = (
            {item["id"] for item in body["results"]},
            {a.pk for a in applications if str(a.pk) in html},
        )
    assert seen[chaoyang.pk] == ({str(in_chaoyang.pk)}, {in_chaoyang.pk})
    assert seen[haidian.pk] == ({str(in_haidian.pk)}, {in_haidian.pk})


def test_the_session_user_carries_the_districts_and_an_admin_none():
    reviewer = UserFactory(reviewer=True, district_codes=["110105", "110108"])
    admin = UserFactory(admin=True)
    with CaptureQueriesContext(connection) as queries:
        loaded = identity.user_by_id(reviewer.pk)
        assert access.district_codes(loaded) == {"110105", "110108"}
        loaded_admin = identity.user_by_id(admin.pk)
        assert access.district_codes(loaded_admin) == frozenset()
    assert len(queries) == 2


def test_a_reviewer_without_districts_sees_no_district():
    reviewer = UserFactory(reviewer=True)
    ApplicationFactory(district_id="110105")
    loaded = identity.user_by_id(reviewer.pk)
    assert access.district_codes(loaded) == frozenset()
    from registry.applications.models import Application

    assert not Application.objects.in_districts_of(loaded).exists()


# --- The web session ------------------------------------------------------------------------------


def test_a_logged_out_or_expired_session_is_gone_on_the_next_request():
    person = UserFactory()
    browser, other = Client(), Client()
    browser.force_login(person)
    other.force_login(person)
    assert browser.get("/account/").status_code == 200
    browser.post("/logout/")
    assert browser.get("/account/").status_code == 302
    assert other.get("/account/").status_code == 200  # another browser's session is its own
    Session.objects.filter(session_key=other.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    assert other.get("/account/").status_code == 302


def test_the_session_and_its_user_are_one_statement_and_the_user_is_the_one_the_session_names():
    person, other = UserFactory(name="甲某"), UserFactory(name="乙某")
    browser = Client()
    browser.force_login(person)
    browser.get("/account/")
    with CaptureQueriesContext(connection) as queries:
        page = browser.get("/account/").content.decode()
    sqls = [statement_text(q["sql"]) for q in queries]  # a prepared statement's text, not its EXECUTE
    assert len([sql for sql in sqls if "accounts_session" in sql]) == 1, sqls
    assert not [sql for sql in sqls if 'FROM "accounts_user" u WHERE' in sql], sqls  # no user statement of its own
    assert "甲某" in page and "乙某" not in page
    # A row naming someone else than its signed data says (tampered, or a bug in a writer) is not
    # believed: the signed data decides, and the user is read by it.
    Session.objects.filter(session_key=browser.session.session_key).update(user=other)
    page = browser.get("/account/").content.decode()
    assert "甲某" in page and "乙某" not in page


def test_a_session_is_refused_once_its_users_password_changed_elsewhere():
    """Django's session hash check still runs on the user read with the session."""
    person = UserFactory()
    browser = Client()
    browser.force_login(person)
    assert browser.get("/account/").status_code == 200
    person.set_password("Changed-elsewhere-2026")
    person.save()
    response = browser.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_each_login_writes_its_user_on_the_session_row_and_logout_removes_it():
    person, other = UserFactory(), UserFactory()
    first, second = Client(), Client()
    first.force_login(person)
    second.force_login(other)
    rows = dict(Session.objects.values_list("session_key", "user_id"))
    assert rows == {first.session.session_key: person.pk, second.session.session_key: other.pk}
    first.post("/logout/")
    assert dict(Session.objects.values_list("session_key", "user_id")) == {second.session.session_key: other.pk}


def test_expired_sessions_are_deleted_by_the_hourly_job_and_live_ones_kept(monkeypatch):
    from registry.accounts import sessions, tasks

    live = Client()
    live.force_login(UserFactory())
    for _ in range(5):
        Client().force_login(UserFactory())
    gone = timezone.now() - dt.timedelta(seconds=1)
    Session.objects.exclude(session_key=live.session.session_key).update(expire_date=gone)
    monkeypatch.setattr(sessions, "EXPIRE_BATCH", 2)  # batches: 2 + 2 + 1
    assert tasks.clear_expired_sessions() == 5
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session.session_key]
    assert live.get("/account/").status_code == 200


def test_manage_py_clearsessions_deletes_expired_sessions_through_the_same_store():
    from django.core.management import call_command

    live, expired = Client(), Client()
    live.force_login(UserFactory())
    expired.force_login(UserFactory())
    Session.objects.filter(session_key=expired.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    call_command("clearsessions")
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session.session_key]


def test_once_read_the_requests_user_is_the_user_itself_not_the_lazy_wrapper():
    person = UserFactory()
    browser = Client()
    browser.force_login(person)
    request = browser.get("/account/").wsgi_request
    assert type(request.user) is User and request.user.pk == person.pk
    anonymous = Client().get("/contacts/").wsgi_request
    assert not anonymous.user.is_authenticated


@pytest.mark.django_db(transaction=True)
def test_a_session_naming_a_user_deleted_meanwhile_is_saved_once_and_then_is_anonymous():
    """The row's user id is a hint, not a foreign key the database enforces: a save racing with the
    user's deletion must not fail (Django's create() would retry with new keys for ever)."""
    from django.contrib.auth import SESSION_KEY

    from registry.accounts.sessions import SessionStore

    gone = UserFactory()
    gone_pk = gone.pk
    gone.delete()
    store = SessionStore()
    store[SESSION_KEY] = str(gone_pk)
    store.create()
    assert Session.objects.get(pk=store.session_key).user_id == gone_pk
    browser = Client()
    browser.cookies["sessionid"] = store.session_key
    response = browser.get("/account/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_user_set_on_the_request_meanwhile_is_not_undone_by_the_lazy_user():
    """login(), logout() or a bearer token may set request.user; evaluating a reference to the
    session's lazy user afterwards must not put the session's user back."""
    from django.contrib.sessions.middleware import SessionMiddleware
    from django.test import RequestFactory

    from registry.accounts.middleware import AuthenticationMiddleware

    person, other = UserFactory(), UserFactory()
    browser = Client()
    browser.force_login(person)
    request = RequestFactory().get("/account/", HTTP_COOKIE=f"sessionid={browser.session.session_key}")
    SessionMiddleware(lambda r: None).process_request(request)
    AuthenticationMiddleware(lambda r: None).process_request(request)
    kept = request.user
    request.user = other  # as login() or a bearer token would
    assert kept.pk == person.pk  # the lazy user evaluated now
    assert request.user is other


# --- Found by the mutation run (scripts/mutate.py --module identity) -------------------------------


def test_statements_written_afresh_give_the_orms_rows_for_the_token_the_session_and_the_id(monkeypatch):
    """As test_the_token_and_its_user_are_the_orms_rows, with the statements written in this test
    (they are written once per process, so otherwise only the first test to ask runs that code)."""
    monkeypatch.setattr(identity, "_sql", {})
    person = UserFactory(reviewer=True, district_codes=["110105"])
    User.objects.filter(pk=person.pk).update(last_login=timezone.now(), must_change_password=True)
    token, headers = _bearer(person)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    browser = Client()
    browser.force_login(person)
    expected = ApiToken.objects.select_related("user").get(pk=token.pk)
    found = identity.token_by_hash(
        auth.hash_token(headers["HTTP_AUTHORIZATION"].removeprefix("Bearer ")), now=timezone.now()
    )
    _, session_user = identity.session_with_user(browser.session.session_key, timezone.now())
    for user in (found.user, session_user, identity.user_by_id(person.pk)):
        assert _fields(user) == _fields(expected.user)
        assert user.is_active is True and user.must_change_password is True and user.last_login.tzinfo is not None
        assert access.district_codes(user) == {"110105"}
    assert _fields(found) == _fields(expected)
    assert found.last_used_at.tzinfo is not None and found.expires_at > timezone.now()


def test_a_session_without_a_user_or_with_a_user_gone_says_nobody_is_logged_in():
    """session_with_user's "nobody": never a user made of the LEFT JOIN's empty columns."""
    from django.contrib.auth import SESSION_KEY

    from registry.accounts.sessions import SessionStore

    anonymous = SessionStore()
    anonymous["next"] = "/account/"
    anonymous.create()
    gone = UserFactory()
    gone_pk = gone.pk
    gone.delete()  # before the save (the ORM deletes a user's sessions): as a save racing the deletion
    orphan = SessionStore()
    orphan[SESSION_KEY] = str(gone_pk)
    orphan.create()
    for store in (anonymous, orphan):
        data, user = identity.session_with_user(store.session_key, timezone.now())
        assert user is None
        assert SessionStore().decode(data) == dict(store.items())
    assert identity.session_with_user("no-such-session-key", timezone.now()) is None


def test_the_user_read_with_a_requests_session_is_not_handed_to_a_later_look_up():
    """The prefetched session user lives for its request only: a deactivation after the request is
    seen by the next look-up in the same thread (a task, a command, another request's backend)."""
    person = UserFactory()
    browser = Client()
    browser.force_login(person)
    assert browser.get("/account/").status_code == 200
    User.objects.filter(pk=person.pk).update(is_active=False)
    assert identity.user_by_id(person.pk) is None


def test_a_session_column_registered_after_the_first_request_is_read_with_each_users_session(monkeypatch):
    monkeypatch.setattr(identity, "_session_columns", dict(identity._session_columns))
    monkeypatch.setattr(identity, "_sql", {})  # the original statements come back after the test
    reviewer = UserFactory(reviewer=True, district_codes=["110105", "110108"])
    applicant = UserFactory()
    browsers = {}
    for person in (reviewer, applicant):
        browsers[person.pk] = Client()
        browsers[person.pk].force_login(person)
        browsers[person.pk].get("/account/")  # the statements are written

    def district_count(connection, user_id):
        q, through = connection.ops.quote_name, User.districts.through._meta
        column = q(through.get_field("user").column)
        return f"(SELECT COUNT(*) FROM {q(through.db_table)} c WHERE c.{column} = {user_id})"

    identity.add_session_column("district_count", district_count)
    for person, count in ((reviewer, 2), (applicant, 0)):
        user = browsers[person.pk].get("/account/").wsgi_request.user
        assert user.pk == person.pk and user.session_values["district_count"] == count
