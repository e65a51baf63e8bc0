"""Accounts and data for bench/locustfile.py, written straight to the stack's database (docs/performance.md).

    set -a; . $VAR/registry.env; set +a
    REGISTRY_ENV=development MATERIAL_CHECKS=false DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> \
      .venv/bin/python bench/locust_setup.py --people 120 --out $VAR/locust.json

Makes --people applicants, each with a complete draft (valid form and every material, stored in the
stack's own storage) ready to submit once; reviewers of 朝阳区 (110105), where those drafts go; verification
API keys (each key is limited to API_KEY_RATE_LIMIT calls a minute, as a real exam system's is); and
records to verify. Passwords are the bench's own (never a production database).
"""

import argparse
import datetime as dt
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402

from registry.accounts.models import Role, User  # noqa: E402
from registry.accounts.services import api_client_create  # noqa: E402
from registry.applications import services  # noqa: E402
from registry.core import generators  # noqa: E402
from registry.records.models import Record  # noqa: E402
from tests import files  # noqa: E402
from tests.applications.conftest import VALID_FORM, valid_uscc  # noqa: E402

PASSWORD = "Bench2026load"


def ready_draft(rng: random.Random, phone: str) -> dict:
    user = User.objects.create_user(phone=phone, password=PASSWORD, role=Role.APPLICANT, name="压测人员")
    birth = dt.date(1970, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 18))  # old enough for the form's dates
    form = json.loads(json.dumps(VALID_FORM))
    form["basic"].update(
        id_number=generators.resident_id(rng, region_code="110105", birth_date=birth, gender="M"),
        birth_date=birth.isoformat(),
        phone=phone,
    )
    form["employment"]["unit_uscc"] = valid_uscc()
    application = services.application_create(applicant=user, type="first_collection")
    application = services.application_save_form(application=application, actor=user, form=form)
    for kind, data, name, ref in [
        ("id_front", files.photo_jpeg(size=(600, 380)), "front.jpg", None),
        ("id_back", files.photo_jpeg(size=(600, 380), seed=2), "back.jpg", None),
        ("photo", files.photo_jpeg(), "photo.jpg", None),
        ("diploma", files.pdf_bytes("Diploma"), "diploma.pdf", 0),
        ("degree", files.pdf_bytes("Degree"), "degree.pdf", 0),
        ("qualification_cert", files.png_bytes(), "cert.png", 0),
    ]:
        services.attachment_add(
            application=application, actor=user, kind=kind, ref=ref, uploaded=SimpleUploadedFile(name, data)
        )
    return {"phone": phone, "application": str(application.pk), "form": form}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--people", type=int, default=120)
    parser.add_argument("--reviewers", type=int, default=4)
    parser.add_argument("--keys", type=int, default=10)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    run = int(time.time()) % 10_000  # phones of this setup run: several runs can share one database
    rng = random.Random(run)
    people = []
    for i in range(args.people):
        people.append(ready_draft(rng, f"17{run:04d}{i:05d}"))
        if i % 20 == 19:
            print(f"{i + 1} drafts", flush=True)
    reviewers = []
    for i in range(args.reviewers):
        phone = f"16{run:04d}{i:05d}"
        user = User.objects.create_user(phone=phone, password=PASSWORD, role=Role.REVIEWER, name=f"压测审核员{i}")
        user.districts.set(["110105"])
        reviewers.append(phone)
    keys = [api_client_create(name=f"压测核验{run}-{i}", scope="verify").key for i in range(args.keys)]
    to_verify = list(Record.objects.order_by("?").values_list("id_number", "name")[:500])
    Path(args.out).write_text(
        json.dumps(
            {
                "password": PASSWORD,
                "people": people,
                "reviewers": reviewers,
                "keys": keys,
                "verify": to_verify,
            },
            ensure_ascii=False,
        )
    )
    print(
        f"wrote {args.out}: {len(people)} drafts, {len(reviewers)} reviewers, {len(keys)} keys, {len(to_verify)} records"
    )


if __name__ == "__main__":
    main()
