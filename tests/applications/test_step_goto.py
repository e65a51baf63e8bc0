"""`_goto` on the collection form steps: only a known step slug is followed."""

import pytest

from registry.applications.models import Application
from tests.applications.test_web_pages import basic_post

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("goto", ["a/b", "../../admin", "https://evil.example/", "x" * 300, "\u4e2d", "Basic"])
def test_unknown_goto_goes_to_the_next_step(client, person, goto):
    client.force_login(person)
    application = Application.objects.create(applicant=person, type="first_collection")
    response = client.post(f"/apply/{application.pk}/basic/", {**basic_post(), "_goto": goto})
    assert response.status_code == 302 and response["Location"] == f"/apply/{application.pk}/education/"
    application.refresh_from_db()
    assert application.form["basic"]["name"] == "李明"  # the step was still saved


@pytest.mark.parametrize(
    ("goto", "path"), [("employment", "employment/"), ("materials", "materials/"), ("review", "review/")]
)
def test_known_goto_is_followed(client, person, goto, path):
    client.force_login(person)
    application = Application.objects.create(applicant=person, type="first_collection")
    response = client.post(f"/apply/{application.pk}/basic/", {**basic_post(), "_goto": goto})
    assert response["Location"] == f"/apply/{application.pk}/{path}"
