"""tests.people: a person `collected` makes can submit their record's data as it stands, whichever
draw of the process-wide generator the test gets — that depends on the tests that ran before it."""

import random

import pytest

from registry.applications.form import normalize_form
from registry.applications.validation import validate_form
from tests.people import collected_form

pytestmark = pytest.mark.django_db


def test_every_draw_passes_the_forms_checks(db):
    rng = random.Random(13)  # the generator's seed: its draws in the order a run hands them out
    for n in range(1, 301):
        form = normalize_form(collected_form(phone="13800138000", rng=rng))
        problems = validate_form(form, check_attachments=False)
        assert problems == [], (n, form["basic"]["id_number"], problems)
