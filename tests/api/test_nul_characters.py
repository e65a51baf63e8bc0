"""A NUL character anywhere in a request — path, query string, JSON, form fields, multipart fields and
file names — is refused with a clear 400 before any view runs (problem+json on the API, a plain
Chinese page on the web), and nothing is stored. PostgreSQL cannot store NUL in text columns, so
letting it through ends in a 500 or, where Django strips it silently, in a different value than sent."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.accounts.models import User
from registry.applications.models import Attachment
from tests import files
from tests.factories import PASSWORD
from tests.helpers import problem

pytestmark = pytest.mark.django_db

NUL_TEXT = "NUL"


def nul_problem(response):
    body = problem(response, 400, "invalid_input")
    assert NUL_TEXT in body["detail"]
    return body


def nul_page(response):
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "请求有误" in html and NUL_TEXT in html


@pytest.fixture
def applicant_api(api, person):
    api.login(person.phone)
    return api


def post_upload(client, url, *, kind="photo", name="photo.jpg", **headers):
    return client.post(url, {"kind": kind, "file": SimpleUploadedFile(name, files.photo_jpeg())}, **headers)


# --- API ----------------------------------------------------------------------------------------


def test_api_path_with_nul(client):
    nul_problem(client.get("/api/v1/regions/1101%0005"))


def test_api_query_with_nul(client):
    nul_problem(client.get("/api/v1/regions?parent=1101%0000"))


def test_api_json_with_nul(api):
    nul_problem(api.post("/api/v1/auth/login", {"username": "138\x00", "password": "x"}))


def test_api_form_encoded_body_with_nul(client):
    response = client.post(
        "/api/v1/auth/login", "username=138%00&password=x", content_type="application/x-www-form-urlencoded"
    )
    nul_problem(response)


@pytest.mark.parametrize(
    "field",
    [{"kind": "photo\x00"}, {"name": "pho\x00to.jpg"}],
    ids=["field-value", "file-name"],
)
def test_api_multipart_with_nul_stores_nothing(applicant_api, draft, field):
    url = f"/api/v1/me/applications/{draft.pk}/attachments"
    headers = {"HTTP_AUTHORIZATION": f"Bearer {applicant_api.token}"}
    nul_problem(post_upload(applicant_api.client, url, **field, **headers))
    assert not Attachment.objects.filter(application=draft).exists()
    # the same upload without the NUL is accepted: the refusal is about the NUL only
    assert post_upload(applicant_api.client, url, **headers).status_code == 201


def test_api_multipart_without_boundary_is_400_not_500(applicant_api, draft):
    response = applicant_api.client.post(
        f"/api/v1/me/applications/{draft.pk}/attachments",
        b"--x\r\n",
        content_type="multipart/form-data",
        HTTP_AUTHORIZATION=f"Bearer {applicant_api.token}",
    )
    problem(response, 400, "invalid_input")


# --- Web ----------------------------------------------------------------------------------------


def test_web_path_with_nul(client):
    nul_page(client.get("/contacts/%00"))


def test_web_query_with_nul(client):
    nul_page(client.get("/contacts/?q=%00"))


def test_web_form_encoded_login_with_nul_changes_nothing(client, person):
    nul_page(client.post("/login/", {"username": person.phone + "\x00", "password": PASSWORD}))
    assert "_auth_user_id" not in client.session
    assert User.objects.get(pk=person.pk).last_login is None


@pytest.mark.parametrize(
    "field",
    [{"kind": "photo\x00"}, {"name": "pho\x00to.jpg"}],
    ids=["field-value", "file-name"],
)
def test_web_multipart_with_nul_stores_nothing(client, person, draft, field):
    client.force_login(person)
    nul_page(post_upload(client, f"/apply/{draft.pk}/materials/upload/", **field))
    assert not Attachment.objects.filter(application=draft).exists()
