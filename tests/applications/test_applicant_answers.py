"""The applicant's application answer (GET and the draft save's PUT), rendered from plain values
(issue 17): every byte pinned against the schema it documents, access, the save's round trip, its
errors and its audit rows, and query counts that do not grow with the application's rows."""

import copy
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from ninja.responses import NinjaJSONEncoder

from registry.api.applicant import ApplicationOut
from registry.applications import selectors, services
from registry.applications.models import Application, Attachment
from registry.audit.models import AuditEntry
from registry.core import compiled
from registry.material_checks.models import MaterialReading, ReadingStatus
from registry.review import services as review
from tests.applications.conftest import upload_all_materials
from tests.factories import UserFactory
from tests.helpers import problem

pytestmark = pytest.mark.django_db


def iso(value) -> str:
    """A datetime as the API writes it (DjangoJSONEncoder: milliseconds, "Z")."""
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def put_form(api, application_id, body: str):
    return api.client.put(
        f"/api/v1/me/applications/{application_id}/form",
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
    )


def assert_schema_bytes(response) -> dict:
    """The answer is exactly what ninja renders for ApplicationOut: same content type, same bytes
    as validating the body against the schema and dumping it again (field order, nulls, formats)."""
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"] == "application/json; charset=utf-8"
    body = response.json()
    rendered = json.dumps(ApplicationOut.model_validate(body).model_dump(), cls=NinjaJSONEncoder)
    assert response.content.decode() == rendered
    return body


@pytest.fixture
def rejected(submitted, person, chaoyang_reviewer):
    """The submitted application (six materials) rejected once by the district: history, an opinion."""
    application = review.review_claim(application=submitted, actor=chaoyang_reviewer)
    return review.review_decide(
        application=application,
        actor=chaoyang_reviewer,
        decision="reject",
        reasons=["photo_noncompliant"],
        comment="照片背景不合格",
    )


def test_the_application_answer_is_pinned_byte_for_byte(logged_in, rejected, person, valid_form):
    other = UserFactory()
    theirs = services.application_create(applicant=other, type="first_collection")
    theirs = services.application_save_form(application=theirs, actor=other, form=valid_form)
    upload_all_materials(theirs, other)
    MaterialReading.objects.all().delete()
    by_kind = {a.kind: a for a in Attachment.objects.filter(application=rejected)}
    # A finished reading of the photo (a check with `found`), a pending one of the ID card's front.
    MaterialReading.objects.create(
        attachment=by_kind["photo"],
        status=ReadingStatus.DONE,
        metrics={"sharpness": 80.0, "p1": 12, "p99": 240, "width": 100, "height": 140, "faces": [[30, 30, 40, 50]]},
    )
    MaterialReading.objects.create(attachment=by_kind["id_front"], status=ReadingStatus.PENDING)

    body = assert_schema_bytes(logged_in.get(f"/api/v1/me/applications/{rejected.pk}"))

    application = Application.objects.get(pk=rejected.pk)
    rounds = list(application.rounds.all())
    events = list(application.events.all())
    attachments = list(Attachment.objects.filter(application=application).order_by("created_at"))
    form = copy.deepcopy(valid_form)
    form["basic"].update(phone=person.phone, local_social_insurance=False)
    form["education"][0].update(overseas_cert_number="")
    form["other"] = {"change_event_date": "", "party_member": False, "titles": "", "honors": "", "remarks": ""}

    def checks(kind):
        if kind == "photo":
            return [
                {"code": "exposure", "ok": True, "message": "图片亮度正常。", "found": "12–240"},
                {"code": "face", "ok": True, "message": "检测到一张居中的正面人脸。", "found": "1"},
            ]
        if kind == "id_front":
            codes = ["id_number", "id_name", "sharpness", "exposure"]
            return [{"code": code, "ok": None, "message": "正在检查…", "found": None} for code in codes]
        return []

    assert body == {
        "id": str(application.pk),
        "type": "first_collection",
        "status": "rejected",
        "status_label": "审核不通过",
        "round": 1,
        "district": "110105",
        "district_contact": {
            "code": "110105",
            "name": "朝阳区",
            "bureau_name": body["district_contact"]["bureau_name"],
            "phone": body["district_contact"]["phone"],
            "address": body["district_contact"]["address"],
        },
        "form": form,
        "attachments": [
            {
                "id": str(a.pk),
                "kind": a.kind,
                "ref": a.ref,
                "size": a.size,
                "sha256": a.sha256,
                "content_type": a.content_type,
                "original_name": a.original_name,
                "width": a.width,
                "height": a.height,
                "url": f"/api/v1/attachments/{a.pk}/content",
                "pages": [f"/api/v1/attachments/{a.pk}/pages/{n}" for n in range(1, len(a.pages) + 1)],
                "uploaded_at": iso(a.created_at),
                "checks": checks(a.kind),
            }
            for a in attachments
        ],
        "missing_materials": [],
        "history": [
            {"at": iso(events[0].at), "kind": "created", "label": "创建申请", "round": 0, "note": ""},
            {"at": iso(events[1].at), "kind": "submitted", "label": "提交", "round": 1, "note": ""},
            {"at": iso(events[2].at), "kind": "claimed", "label": "审核员受理", "round": 1, "note": ""},
            {"at": iso(events[3].at), "kind": "rejected", "label": "审核不通过", "round": 1, "note": "照片背景不合格"},
        ],
        "opinion": {
            "round": 1,
            "decision": "rejected",
            "reasons": ["photo_noncompliant"],
            "comment": "照片背景不合格",
            "decided_at": iso(rounds[0].decided_at),
        },
        "submitted_at": iso(application.submitted_at),
        "created_at": iso(application.created_at),
        "actions": ["edit", "submit", "withdraw"],
    }
    assert [a["kind"] for a in body["attachments"]] == [
        "id_front",
        "id_back",
        "photo",
        "diploma",
        "degree",
        "qualification_cert",
    ]
    assert [len(a["pages"]) for a in body["attachments"]] == [0, 1, 0, 1, 1, 0]  # the PDFs' page images
    # The other applicant's application and materials appear nowhere, and are not theirs to read.
    assert str(theirs.pk) not in response_text(logged_in, rejected)
    assert logged_in.get(f"/api/v1/me/applications/{theirs.pk}").status_code == 404


def response_text(api, application) -> str:
    return api.get(f"/api/v1/me/applications/{application.pk}").content.decode()


def test_a_draft_without_materials_or_decisions(logged_in, draft, person):
    body = assert_schema_bytes(logged_in.get(f"/api/v1/me/applications/{draft.pk}"))
    assert (body["status"], body["status_label"], body["round"]) == ("draft", "草稿", 0)
    assert body["attachments"] == [] and body["opinion"] is None and body["submitted_at"] is None
    assert [m["kind"] for m in body["missing_materials"]] == [
        "id_front",
        "id_back",
        "photo",
        "diploma",
        "degree",
        "qualification_cert",
    ]
    assert body["missing_materials"][3] == {"kind": "diploma", "ref": 0, "label": "第 1 条学历的毕业证书"}
    assert [e["kind"] for e in body["history"]] == ["created"]


def test_a_stored_form_is_answered_as_the_schema_reads_it(logged_in, draft):
    """A stored form with an unknown key and a missing section comes back normalized, as ninja's
    validation of ApplicationOut.form answered it."""
    stored = copy.deepcopy(draft.form)
    stored["unknown"] = "x"
    stored["category"] = "2"
    del stored["other"]
    Application.objects.filter(pk=draft.pk).update(form=stored)
    body = assert_schema_bytes(logged_in.get(f"/api/v1/me/applications/{draft.pk}"))
    assert "unknown" not in body["form"] and body["form"]["category"] == 2
    assert body["form"]["other"] == {
        "change_event_date": "",
        "party_member": False,
        "titles": "",
        "honors": "",
        "remarks": "",
    }


def test_only_the_owner_reads_it(api, draft, submitted, chaoyang_reviewer, municipal_admin):
    stranger = UserFactory()
    before = {a.pk: (a.version, a.form) for a in Application.objects.filter(pk__in=[draft.pk, submitted.pk])}
    other_form = {**draft.form, "basic": {**draft.form.get("basic", {}), "email": "stranger@example.com"}}
    for who in (stranger, chaoyang_reviewer, municipal_admin):
        api.login(who.phone)
        for application in (draft, submitted):
            problem(api.get(f"/api/v1/me/applications/{application.pk}"), 404, "not_found")
            problem(put_form(api, application.pk, json.dumps(other_form)), 404, "not_found")
    # The history read beside the application (one round trip) never reached them, nor did the save.
    assert {a.pk: (a.version, a.form) for a in Application.objects.filter(pk__in=[draft.pk, submitted.pk])} == before
    api.login(stranger.phone)
    for bad in ("12345", "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        problem(api.get(f"/api/v1/me/applications/{bad}"), 404, "not_found")


def test_own_application_of_an_inactive_account_is_404(draft, person):
    from django.http import Http404

    assert selectors.own_application_or_404(person, str(draft.pk)).pk == draft.pk
    person.is_active = False
    with pytest.raises(Http404):
        selectors.own_application_or_404(person, str(draft.pk))


# --- the draft save --------------------------------------------------------------------------------


def test_the_draft_save_round_trips_the_form(logged_in, draft, person):
    form = copy.deepcopy(draft.form)
    form["basic"]["email"] = "  new@example.com  "  # stripped, like every string
    form["education"].append({"level": "master", "school": "北京大学"})
    saved = put_form(logged_in, draft.pk, json.dumps(form))
    body = assert_schema_bytes(saved)
    assert body["form"]["basic"]["email"] == "new@example.com"
    assert body["form"]["education"][1] == {
        "level": "master",
        "school": "北京大学",
        "major": "",
        "start_date": "",
        "graduation_date": "",
        "diploma_number": "",
        "degree": "",
        "degree_number": "",
        "overseas": False,
        "overseas_cert_number": "",
    }
    assert Application.objects.get(pk=draft.pk).form == body["form"]
    # What the save answers is what a read answers, byte for byte.
    assert logged_in.get(f"/api/v1/me/applications/{draft.pk}").content == saved.content
    # Sent back unchanged it stays the same.
    again = put_form(logged_in, draft.pk, json.dumps(body["form"]))
    assert again.content == saved.content


def test_the_draft_save_rejects_bad_input_as_before(logged_in, draft):
    too_many = {"education": [{"level": "bachelor"}] * 11}
    body = problem(put_form(logged_in, draft.pk, json.dumps(too_many)), 400, "invalid_input")
    assert body["errors"][0]["field"].endswith("education")
    body = problem(put_form(logged_in, draft.pk, json.dumps({"basic": "x"})), 400, "invalid_input")
    assert body["errors"][0]["field"].endswith("basic")
    body = problem(put_form(logged_in, draft.pk, "{not json"), 400, "invalid_input")
    assert body["detail"].startswith("请求内容不是有效的 JSON") and body["errors"][0]["code"] == "invalid_json"
    assert Application.objects.get(pk=draft.pk).form == draft.form  # nothing written


def test_the_draft_save_audits_changes_only_and_bumps_the_version(logged_in, draft):
    before = Application.objects.get(pk=draft.pk)
    audited = AuditEntry.objects.filter(action="application.save_form").count()
    form = copy.deepcopy(before.form)
    assert put_form(logged_in, draft.pk, json.dumps(form)).status_code == 200
    after = Application.objects.get(pk=draft.pk)
    assert after.version == before.version + 1 and after.updated_at > before.updated_at
    assert AuditEntry.objects.filter(action="application.save_form").count() == audited  # same form: no row

    form["employment"]["position"] = "supervisor"
    form["education"] = []
    assert put_form(logged_in, draft.pk, json.dumps(form)).status_code == 200
    entry = AuditEntry.objects.filter(action="application.save_form").latest("id")
    old = before.form["education"][0]
    assert entry.details == {
        "changes": {
            # a removed entry's every field (their order: test_form_changes_are_form_diff_without_labels)
            **{
                f"education.0.{key}": {"old": value, "new": None}
                for key, value in old.items()
                if value not in ("", None, [], False)
            },
            "employment.position": {"old": "accountant", "new": "supervisor"},
        }
    }


def test_a_submitted_application_is_not_editable(logged_in, submitted):
    before = Application.objects.get(pk=submitted.pk)
    problem(put_form(logged_in, submitted.pk, json.dumps(before.form)), 409, "not_editable")
    after = Application.objects.get(pk=submitted.pk)
    assert (after.version, after.form) == (before.version, before.form)


def test_form_changes_are_form_diff_without_labels(valid_form):
    from registry.review.diff import form_diff

    base = services.normalize_form(valid_form)
    edits = [
        lambda f: f["basic"].update(name="王芳", email=""),
        lambda f: f["education"].append({**f["education"][0], "level": "master"}),
        lambda f: f.update(education=[]),
        lambda f: f["employment"].update(status="retired", doing_accounting=False),
        lambda f: f.update(category=None),
        lambda f: f["work_history"].append(
            services.normalize_form({"work_history": [{"unit_name": "甲"}]})["work_history"][0]
        ),
        lambda f: None,
    ]
    for edit in edits:
        new = copy.deepcopy(base)
        edit(new)
        new = services.normalize_form(new)
        for old, changed in ((base, new), (new, base)):
            expected = {c["field"]: {"old": c["old"], "new": c["new"]} for c in form_diff(old, changed)}
            got = services.form_changes(old, changed)
            assert list(got.items()) == list(expected.items())


# --- query counts ----------------------------------------------------------------------------------


def _count(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert response.status_code == 200, response.content[:300]
    return len(queries)


@pytest.mark.parametrize("rejected_rounds", [False, True], ids=["draft", "rejected"])
def test_query_counts_do_not_grow_with_materials_and_history(api, rejected_rounds):
    """GET and an unchanged save (autosave) as materials, readings, rounds and events grow, for a
    draft (never submitted) and for an application rejected n times (editable again)."""
    from django.utils import timezone

    from registry.applications.models import ApplicationEvent, ApplicationRound

    counts = {}
    for n in (1, 10, 40):
        person = UserFactory()
        application = services.application_create(applicant=person, type="first_collection")
        for i in range(n):
            attachment = Attachment.objects.create(
                application=application,
                kind="other",
                file=f"x/{application.pk}-{i}.jpg",
                original_name=f"其他{i}.jpg",
                content_type="image/jpeg",
                size=1000,
                sha256="0" * 64,
                uploaded_by=person,
            )
            MaterialReading.objects.create(attachment=attachment, status=ReadingStatus.PENDING)
        ApplicationEvent.objects.bulk_create(
            ApplicationEvent(application=application, kind="created", actor=person) for _ in range(n)
        )
        if rejected_rounds:
            ApplicationRound.objects.bulk_create(
                ApplicationRound(
                    application=application,
                    number=i + 1,
                    form=application.form,
                    district_id="110105",
                    submitted_at=timezone.now(),
                    decision="rejected",
                    reasons=["photo_noncompliant"],
                    decided_at=timezone.now(),
                )
                for i in range(n)
            )
            Application.objects.filter(pk=application.pk).update(round=n, status="rejected", district_id="110105")
        api.login(person.phone)
        path = f"/api/v1/me/applications/{application.pk}"
        answer = api.get(path).json()
        assert (answer["opinion"] or {}).get("round") == (n if rejected_rounds else None)
        body = json.dumps(answer["form"])
        counts[n] = (
            _count(lambda path=path: api.get(path)),
            _count(lambda a=application, b=body: put_form(api, a.pk, b)),
        )
    assert len(set(counts.values())) == 1, counts
    # GET: token, application, materials with readings, events, latest opinion — on PostgreSQL the
    # last four in one round trip (selectors.own_application_with_history_or_404: the history is
    # read by the id in the path, beside the application); PUT unchanged: the same and the UPDATE
    # (one statement: no transaction, no audit row).
    if connection.vendor == "postgresql":
        assert counts[1] == (2, 3), counts
    else:
        assert counts[1] == (5, 6), counts


def test_compiled_reads_fall_back_when_the_value_is_not_found_once(draft):
    """A shape using the id twice is not cached: it runs as a plain queryset, same rows."""
    from django.db.models import Q

    def build(pk):
        return Application.objects.filter(Q(pk=pk) | Q(pk=pk))

    first = compiled.instances("test: pk twice", Application, build, draft.pk)
    again = compiled.instances("test: pk twice", Application, build, draft.pk)
    assert [a.pk for a in first] == [a.pk for a in again] == [draft.pk]
    assert compiled._shapes[(("instances", "test: pk twice"), "default", 1)].cached is False
