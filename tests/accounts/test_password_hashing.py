"""Argon2 at OWASP's parameters (m=19 MiB, t=2, p=1), and hashes made with Django's old defaults
(m=100 MiB, t=2, p=8) rewritten with them at the next successful login — only then, only theirs."""

import pytest
from argon2 import extract_parameters
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password

from registry.web.middleware import LAST_SEEN_KEY
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "Kuaiji2026"


def _params(encoded: str):
    assert encoded.startswith("argon2$argon2id$")
    return extract_parameters(encoded.removeprefix("argon2"))


def _old_hash(password: str) -> str:
    """What accounts hold from before this change: Django's Argon2 defaults."""
    encoded = Argon2PasswordHasher().encode(password, Argon2PasswordHasher().salt())
    assert (_params(encoded).memory_cost, _params(encoded).parallelism) == (102400, 8)
    return encoded


def test_new_passwords_use_owasp_parameters():
    params = _params(make_password(PASSWORD))
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)


def test_an_old_hash_is_rewritten_at_the_next_web_login_and_no_one_elses(client):
    person, other = UserFactory(password=None), UserFactory(password=None)
    for user in (person, other):
        user.password = _old_hash(PASSWORD)
        user.save(update_fields=["password"])
    others_hash = other.password

    response = client.post("/login/", {"username": person.phone, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session.get(LAST_SEEN_KEY)  # the idle-timeout stamp is set at login

    person.refresh_from_db()
    params = _params(person.password)
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)
    assert person.check_password(PASSWORD)
    other.refresh_from_db()
    assert other.password == others_hash


def test_a_failed_login_leaves_the_old_hash(client):
    person = UserFactory(password=None)
    person.password = old = _old_hash(PASSWORD)
    person.save(update_fields=["password"])
    assert client.post("/login/", {"username": person.phone, "password": "Wrong2026x"}).status_code == 200
    person.refresh_from_db()
    assert person.password == old


def test_an_old_hash_is_rewritten_at_api_login(api):
    person = UserFactory(password=None)
    person.password = _old_hash(PASSWORD)
    person.save(update_fields=["password"])
    response = api.post("/api/v1/auth/login", {"username": person.phone, "password": PASSWORD})
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert _params(person.password).memory_cost == 19 * 1024
