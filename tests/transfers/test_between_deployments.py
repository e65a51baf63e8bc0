"""调转 between two running instances of the product: 河北's system (a second server process with its
own database and signing key) exports a signed document and texts the person the transfer code;
this instance (北京) verifies the document with that code, imports and approves it. A tampered or
foreign-signed document, or one without its code, is refused with one answer."""

import base64
import copy
import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from registry.applications.models import Application
from registry.records.models import Record
from registry.transfers.documents import canonical
from tests.applications.conftest import upload_all_materials
from tests.factories import PASSWORD, UserFactory
from tests.helpers import running_server

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]

SETUP_HEBEI = """
from registry.accounts.models import User
from registry.accounts.services import staff_create
from registry.records.services import record_apply
staff_create(phone="13500000001", password="Hebei2026x", role="reviewer", district_codes=["130102"], name="长安区审核员")
person = User.objects.create_user("13500000002", "Hebei2026y", name="孙会计")
record_apply(user=person, district_code="130102", source="first_collection", data={
    "category": 1,
    "basic": {"name": "孙会计", "gender": "F", "id_type": "resident_id", "id_number": "130102198805120020",
              "birth_date": "1988-05-12", "ethnicity": "01", "political_status": "13", "phone": "13500000002",
              "hukou_region": "130102", "residence_address": "石家庄市长安区中山路1号", "residence_district": ""},
    "education": [{"level": "bachelor", "school": "河北经贸大学", "major": "会计学", "start_date": "2006-09-01",
                   "graduation_date": "2010-07-01", "diploma_number": "100761201005000123"}],
    "qualifications": [{"series": "accounting", "level": "intermediate", "obtained_by": "exam",
                        "obtained_on": "2015-10-18", "certificate_number": "Z13010215000456", "authority": "财政部"}],
    "employment": {"status": "employed", "unit_name": "石家庄示例有限公司", "unit_uscc": "",
                   "unit_type": "enterprise", "unit_district": "130102", "position": "accountant",
                   "accounting_since": "2010-08-01", "doing_accounting": True},
})
"""


def call(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def login(base, phone, password):
    status, body = call(base, "POST", "/api/v1/auth/login", {"username": phone, "password": password})
    assert status == 200, body
    return body["token"]


@pytest.fixture
def hebei_instance(tmp_path):
    """A second, separately running instance configured as 河北's system."""
    home = tmp_path / "hebei"
    home.mkdir()
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DJANGO_", "REGISTRY_", "DATABASE_", "REDIS_", "CELERY_"))
        },
        "DATABASE_URL": f"sqlite:///{home / 'registry.sqlite3'}",
        "REGISTRY_VAR_DIR": str(home / "var"),
        "REGISTRY_JURISDICTION": "130000",
        "REGISTRY_DEPLOYMENT_NAME": "河北省会计人员信息管理系统",
        "REGISTRY_BUREAU_NAME": "河北省财政厅",
        "TRANSFER_KEY_PATH": str(home / "transfer.pem"),
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(home / "sms.jsonl"),
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    for args in (["migrate", "-v0"], ["transfer_keys", "--create"], ["shell", "-c", SETUP_HEBEI]):
        subprocess.run(manage + args, env=env, cwd=ROOT, check=True, capture_output=True, timeout=180)
    public_pem = subprocess.run(
        manage + ["transfer_keys", "--show"], env=env, cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split("\n", 1)[1]
    with running_server(env, what="the 河北 instance", attempts=100) as base:
        yield {"base": base, "public_pem": public_pem, "home": home}


def test_export_at_one_instance_import_and_approve_at_the_other(
    code_tables, hebei_instance, live_server, settings, tmp_path
):
    # 北京 (this instance) has its own key and trusts 河北's public key
    settings.TRANSFER_KEY_PATH = str(tmp_path / "beijing.pem")
    from django.core.management import call_command

    call_command("transfer_keys", "--create", stdout=open(os.devnull, "w"))
    pem_file = tmp_path / "hebei.pub.pem"
    pem_file.write_text(hebei_instance["public_pem"])
    call_command("transfer_peer_add", "--name", "河北省系统", "--region", "130000", "--public-key-file", str(pem_file))

    # At 河北: the person asks to transfer out, the district approves, the person downloads the document
    hebei = hebei_instance["base"]
    person_token = login(hebei, "13500000002", "Hebei2026y")
    status, out = call(hebei, "POST", "/api/v1/me/transfer-out", {"destination_region": "110000"}, person_token)
    assert status == 201, out
    reviewer_token = login(hebei, "13500000001", "Hebei2026x")
    assert call(hebei, "POST", f"/api/v1/review/applications/{out['id']}/claim", token=reviewer_token)[0] == 200
    status, decided = call(
        hebei, "POST", f"/api/v1/review/applications/{out['id']}/decision", {"decision": "approve"}, reviewer_token
    )
    assert decided == {"status": "approved"}
    status, codes = call(hebei, "GET", "/api/v1/me/transfer-codes", token=person_token)
    status, document = call(hebei, "GET", f"/api/v1/me/transfer-codes/{codes[0]['code']}/document", token=person_token)
    assert status == 200 and document["payload"]["person"]["id_number"] == "130102198805120020"
    # The code reached the person's phone at 河北, and the document does not carry it
    texts = [json.loads(line) for line in (hebei_instance["home"] / "sms.jsonl").read_text().splitlines()]
    (code,) = [re.search(r"ZR\w{4}-\w{4}-\w{4}", m["text"])[0] for m in texts if m["purpose"] == "transfer_code"]
    assert code == codes[0]["code"] and code not in json.dumps(document)

    # At 北京: a new account imports the document
    beijing = live_server.url
    newcomer = UserFactory(phone="13500000002")
    token = login(beijing, newcomer.phone, PASSWORD)

    def create(document, code=None):
        body = {"type": "transfer_in", "transfer_document": document}
        return call(beijing, "POST", "/api/v1/me/applications", body | ({"transfer_code": code} if code else {}), token)

    tampered = copy.deepcopy(document)
    tampered["payload"]["record"]["versions"][0]["data"]["qualifications"][0]["level"] = "senior"
    impostor = Ed25519PrivateKey.generate()
    foreign = {
        "payload": {**document["payload"], "issuer": {**document["payload"]["issuer"], "key_id": "0000000000000000"}}
    }
    foreign["signature"] = base64.b64encode(impostor.sign(canonical(foreign["payload"]))).decode()
    resigned = {
        "payload": document["payload"],
        "signature": base64.b64encode(impostor.sign(canonical(document["payload"]))).decode(),
    }
    answers = [create(tampered, code), create(foreign, code), create(resigned, code), create(document)]
    assert answers[0][0] == 400 and answers[0][1]["code"] == "document_invalid"
    assert all(answer == answers[0] for answer in answers), answers
    assert not Application.objects.filter(applicant=newcomer).exists()

    status, created = create(document, code)
    assert status == 201, created
    assert created["form"]["basic"]["name"] == "孙会计" and created["form"]["employment"]["unit_district"] == ""
    form = created["form"]
    form["employment"].update(unit_district="110105", unit_name="北京示例科技有限公司")
    from tests.applications.conftest import valid_uscc

    form["employment"]["unit_uscc"] = valid_uscc()
    form["basic"]["residence_district"] = "110105"
    request = urllib.request.Request(
        beijing + f"/api/v1/me/applications/{created['id']}/form", data=json.dumps(form).encode(), method="PUT"
    )
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {token}")
    assert urllib.request.urlopen(request).status == 200
    application = Application.objects.get(pk=created["id"])
    upload_all_materials(application, newcomer)
    status, body = call(beijing, "POST", f"/api/v1/me/applications/{created['id']}/submit", token=token)
    assert body == {"status": "submitted"}, body

    reviewer = UserFactory(reviewer=True, district_codes=["110105"])
    reviewer_token = login(beijing, reviewer.phone, PASSWORD)
    status, detail = call(beijing, "GET", f"/api/v1/review/applications/{created['id']}", token=reviewer_token)
    signed = next(w for w in detail["warnings"] if w["code"] == "signed_document")
    assert "河北省会计人员信息管理系统" in signed["message"] and code in signed["message"] and signed["ok"]
    assert "manual_transfer_check" not in {w["code"] for w in detail["warnings"]}
    call(beijing, "POST", f"/api/v1/review/applications/{created['id']}/claim", token=reviewer_token)
    status, body = call(
        beijing,
        "POST",
        f"/api/v1/review/applications/{created['id']}/decision",
        {"decision": "approve"},
        reviewer_token,
    )
    assert body == {"status": "approved"}, body
    record = Record.objects.get(user=newcomer)
    assert (record.district_id, record.status, record.id_number) == ("110105", "normal", "130102198805120020")
    history = list(record.versions.order_by("version").values_list("district_id", "source"))
    assert history == [("130102", "imported:first_collection"), ("110105", "transfer_in")]

    # The same document cannot be used again here, not even with its code
    other = UserFactory()
    status, body = call(
        beijing,
        "POST",
        "/api/v1/me/applications",
        {"type": "transfer_in", "transfer_document": document, "transfer_code": code},
        login(beijing, other.phone, PASSWORD),
    )
    assert status == 409 and body["code"] in ("already_collected", "transfer_code_used")
