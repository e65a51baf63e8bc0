"""What the applicant's read pages show (record, status, form step), each for one person beside a
second person whose data must never appear, and the markup made in Python for them (issue 17:
summary rows, field controls, <option>s and links are built without template loops)."""

import copy
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registry.applications.models import Application, ApplicationEvent, ApplicationRound
from registry.integrity.models import IntegrityEntry
from registry.notices.models import Notice, NoticeRecipient
from registry.records.models import Record, RecordVersion
from registry.transfers.models import TransferCode
from registry.web.templatetags.registry_extras import app_url, site_url
from tests.applications.conftest import VALID_FORM
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _form(name: str, unit: str, school: str) -> dict:
    form = copy.deepcopy(VALID_FORM)
    form["basic"]["name"] = name
    form["employment"]["unit_name"] = unit
    form["education"][0]["school"] = school
    return form


def _unread(person, n: int, title: str) -> None:
    for i in range(n):
        notice = Notice.objects.create(
            title=f"{title}{i}", body="正文", audience={}, audience_label="全体", publish_at=timezone.now()
        )
        NoticeRecipient.objects.create(notice=notice, user=person)


def _person_with_record(*, name, unit, school, district, code, destination, integrity, unread):
    person = UserFactory(password=None, name=name)
    record = Record.objects.create(user=person, district_id=district, name=name, id_number=f"id-{code}")
    RecordVersion.objects.create(
        record=record, version=1, district_id=district, data=_form(name, unit, school), source="first_collection"
    )
    now = timezone.now()
    TransferCode.objects.create(
        code=code,
        record=record,
        person=person,
        source_district_id=district,
        destination_region_id=destination,
        issued_at=now,
        issued_by=person,
        expires_at=now + dt.timedelta(days=30),
    )
    IntegrityEntry.objects.create(
        record=record,
        kind="reward",
        summary=integrity,
        starts_on=dt.date(2025, 3, 1),
        district_id=district,
        created_by=UserFactory(admin=True, password=None),
    )
    _unread(person, unread, name)
    return person


def test_record_page_shows_the_persons_record_and_nothing_of_another():
    mine = _person_with_record(
        name="李明",
        unit="北京甲单位有限公司",
        school="北京甲大学",
        district="110105",
        code="ZRAAA-111",
        destination="130000",
        integrity="甲表彰事由",
        unread=2,
    )
    _person_with_record(
        name="王芳",
        unit="北京乙单位有限公司",
        school="北京乙大学",
        district="110108",
        code="ZRBBB-222",
        destination="310000",
        integrity="乙表彰事由",
        unread=5,
    )
    client = Client()
    client.force_login(mine)
    page = client.get("/record/").content.decode()

    # The summary, row by row as the template made it: label, then the value in its data-field slot.
    assert '<dt>姓名</dt><dd data-field="basic.name">李明</dd>' in page
    assert '<dt>工作单位全称</dt><dd data-field="employment.unit_name">北京甲单位有限公司</dd>' in page
    assert '<h3 class="entry-title">学历（第1条）</h3>' in page
    assert '<dd data-field="education.0.school">北京甲大学</dd>' in page
    assert '<dd data-field="basic.residence_district">朝阳区</dd>' in page  # a code shown by its name
    assert page.count('data-testid="form-summary"') == 1
    assert "对照材料" not in page  # material links only on the review pages
    # Transfer code with its destination's name (from the cached regions), integrity, unread badge.
    assert "ZRAAA-111" in page and "调往河北省" in page
    assert "甲表彰事由" in page
    assert 'data-testid="unread-count" aria-label="2 条未读">2</span>' in page
    # Transfer out: every province but the record's own, as options.
    assert '<option value="130000">河北省</option>' in page and '<option value="110000">' not in page
    # The other person's data nowhere.
    for theirs in ("王芳", "北京乙单位有限公司", "北京乙大学", "ZRBBB-222", "乙表彰事由", "海淀区", "5 条未读"):
        assert theirs not in page, theirs


def test_record_page_escapes_what_people_typed():
    mine = _person_with_record(
        name='<b>"李"</b>',
        unit="甲&乙<公司>",
        school="x",
        district="110105",
        code="ZRCCC-333",
        destination="130000",
        integrity="<i>事由</i>",
        unread=0,
    )
    client = Client()
    client.force_login(mine)
    page = client.get("/record/").content.decode()
    assert '<dd data-field="basic.name">&lt;b&gt;&quot;李&quot;&lt;/b&gt;</dd>' in page
    assert "甲&amp;乙&lt;公司&gt;" in page and "&lt;i&gt;事由&lt;/i&gt;" in page
    assert "<b>" not in page and "<i>事由" not in page


def _rejected(person, *, comment: str, reason: str, note: str) -> Application:
    application = Application.objects.create(
        applicant=person,
        type="first_collection",
        status="rejected",
        form=VALID_FORM,
        round=1,
        district_id="110105",
        submitted_at=timezone.now(),
        first_submitted_at=timezone.now(),
    )
    ApplicationRound.objects.create(
        application=application,
        number=1,
        form=VALID_FORM,
        district_id="110105",
        submitted_at=timezone.now(),
        decision="rejected",
        reasons=[reason],
        comment=comment,
        decided_at=timezone.now(),
    )
    ApplicationEvent.objects.create(application=application, kind="submitted", round=1, actor=person, note=note)
    return application


def test_status_page_shows_the_persons_application_and_nothing_of_another():
    mine, theirs = UserFactory(password=None), UserFactory(password=None)
    own = _rejected(mine, comment="甲的审核意见", reason="photo_noncompliant", note="甲的办理记录")
    other = _rejected(theirs, comment="乙的审核意见", reason="info_inconsistent", note="乙的办理记录")
    _unread(theirs, 3, "乙")
    client = Client()
    client.force_login(mine)
    page = client.get(f"/apply/{own.pk}/").content.decode()
    assert "甲的审核意见" in page and "甲的办理记录" in page
    assert "<li>照片不符合要求（须为白色或蓝色背景" in page  # the reason by its name (code table), not its code
    # The actions of a rejected application, each link under the application's own pages.
    assert f'href="/apply/{own.pk}/basic/"' in page and f'href="/apply/{own.pk}/materials/"' in page
    assert f'action="/apply/{own.pk}/withdraw/"' in page
    for text in ("乙的审核意见", "乙的办理记录", str(other.pk), "unread-count", "填写信息与证明材料不一致"):
        assert text not in page, text
    assert client.get(f"/apply/{other.pk}/").status_code == 404


def test_step_page_shows_the_persons_draft_and_nothing_of_another():
    mine, theirs = UserFactory(password=None), UserFactory(password=None)
    own = Application.objects.create(applicant=mine, type="first_collection", form=_form("李明", "甲公司", "甲大学"))
    other = Application.objects.create(
        applicant=theirs, type="first_collection", form=_form("王芳", "乙公司", "乙大学")
    )
    client = Client()
    client.force_login(mine)
    page = client.get(f"/apply/{own.pk}/basic/").content.decode()
    assert (
        '<label for="f-basic-name">姓名</label>\n<input id="f-basic-name" name="basic.name" value="李明" type="text"'
        ' autocomplete="off">\n<p class="help">' in page
    )
    # Gender and birth date equal what the ID number states: shown, posted, not typed over.
    assert (
        '<input type="hidden" name="basic.gender" value="M" data-from-id="gender">\n'
        '<input id="f-basic-gender" type="text" value="男" readonly class="from-id" data-from-id-shown="gender">'
    ) in page
    assert (
        '<input id="f-basic-birth_date" name="basic.birth_date" type="date" value="1990-03-07" readonly'
        ' class="from-id" data-from-id="birth_date">'
    ) in page
    assert '<input id="f-basic-id_number" name="basic.id_number" value="110105199003070033" type="text"' in page
    assert 'data-id-number autocomplete="off">' in page
    assert '<option value="01" selected>汉族</option>' in page
    assert (
        '<select aria-label="省份" name="_province_basic.hukou_region" hx-get="/apply/regions/" hx-trigger="change"'
        ' hx-target="#f-basic-hukou_region" data-province-select>' in page
    )
    assert '<option value="110105" selected>朝阳区</option>' in page
    assert '<label class="check"><input type="checkbox" id="f-basic-local_social_insurance"' in page
    assert f'hx-post="/apply/{own.pk}/basic/autosave/"' in page
    assert f'<a href="/apply/{own.pk}/materials/">' in page and f'<a href="/apply/{own.pk}/review/">' in page
    for text in ("王芳", str(other.pk)):
        assert text not in page, text
    assert client.get(f"/apply/{other.pk}/basic/").status_code == 404


def test_step_page_shows_errors_and_escapes_values():
    mine = UserFactory(password=None)
    form = _form('<b>"李"</b>', "甲公司", "甲大学")
    form["basic"]["email"] = "not-an-email"
    own = Application.objects.create(applicant=mine, type="first_collection", form=form)
    client = Client()
    client.force_login(mine)
    page = client.get(f"/apply/{own.pk}/basic/").content.decode()
    assert 'value="&lt;b&gt;&quot;李&quot;&lt;/b&gt;"' in page and "<b>" not in page
    assert '<div class="field has-error">\n<label for="f-basic-email">' in page
    assert '<p id="err-basic-email" class="field-error" role="alert">' in page


@pytest.mark.parametrize(
    "parts,name,args",
    [
        ((), "web:apply_status", []),
        (("basic",), "web:apply_step", ["basic"]),
        (("education",), "web:apply_step", ["education"]),
        (("basic", "autosave"), "web:apply_autosave", ["basic"]),
        (("materials",), "web:apply_materials", []),
        (("review",), "web:apply_review", []),
        (("withdraw",), "web:apply_withdraw", []),
    ],
)
def test_app_url_is_what_reverse_gives(parts, name, args):
    application = Application(applicant=UserFactory.build())
    assert app_url(application, *parts) == reverse(name, args=[application.pk, *args])


@pytest.mark.parametrize("name", ["web:home", "web:inbox", "web:my_record", "web:logout", "admin:index"])
def test_site_url_is_what_reverse_gives(name):
    assert site_url(name) == reverse(name)


def test_the_record_pages_compiled_reads_answer_as_the_orm_did():
    """The record page's reads, compiled once by the person's (integer) id, give each person what the
    scoped querysets they replace gave, newest first; nothing for an inactive account or a person
    without a record."""
    from registry.applications import selectors
    from registry.integrity.selectors import entries_of
    from registry.notices.selectors import unread_count
    from registry.transfers.selectors import codes_of

    a = _person_with_record(
        name="甲",
        unit="甲单位",
        school="甲大学",
        district="110105",
        code="CODEA",
        destination="120000",
        integrity="甲奖",
        unread=2,
    )
    b = _person_with_record(
        name="乙",
        unit="乙单位",
        school="乙大学",
        district="110108",
        code="CODEB",
        destination="130000",
        integrity="乙奖",
        unread=1,
    )
    a_record = Record.objects.get(user=a)
    RecordVersion.objects.create(
        record=a_record, version=2, district_id="110105", data=_form("甲二", "u", "s"), source="change"
    )
    open_b = Application.objects.create(applicant=b, type="change", status="draft", form=VALID_FORM)
    Application.objects.create(applicant=b, type="first_collection", status="approved", form=VALID_FORM)
    nobody = UserFactory(password=None)
    for person in (a, b, nobody):
        record, pending, codes, entries = selectors.record_page_of(person)  # read together
        expected = Record.objects.visible_to(person).filter(user=person).first()
        assert (record and record.pk) == (expected and expected.pk)
        latest = expected.versions.order_by("-version").first() if expected else None
        assert (record and record.current_data) == (latest and latest.data)
        assert (record and selectors.latest_version(record).pk) == (latest and latest.pk)
        expected_codes = TransferCode.objects.visible_to(person).filter(person=person).order_by("-issued_at")
        assert [c.pk for c in codes] == [c.pk for c in codes_of(person)] == [c.pk for c in expected_codes]
        assert [e.pk for e in entries] == [e.pk for e in entries_of(person)]
        assert bool(entries) == bool(record)  # each person with a record has one entry, their own
        assert unread_count(person) == NoticeRecipient.objects.filter(user=person, read_at__isnull=True).count()
        expected_pending = selectors.applications_of(person).open().first()
        assert getattr(pending, "pk", None) == getattr(expected_pending, "pk", None)
        assert getattr(selectors.open_application_of(person), "pk", None) == getattr(expected_pending, "pk", None)
    assert selectors.record_page_of(a)[0].current_data["basic"]["name"] == "甲二"
    assert selectors.open_application_of(b).pk == open_b.pk
    assert (unread_count(a), unread_count(b)) == (2, 1)
    b.is_active = False
    b.save()
    assert selectors.record_page_of(b) == (None, None, [], [])
    assert selectors.open_application_of(b) is None
    assert codes_of(b) == [] and unread_count(b) == 0


def test_the_transfer_document_link_is_offered_only_when_documents_can_be_signed(settings, tmp_path):
    """Without the signing key the link saved the API's 503 JSON as the person's "document"."""
    from django.core.management import call_command

    from tests.factories import TransferCodeFactory

    code, others = TransferCodeFactory(), TransferCodeFactory()
    browser = Client()
    browser.force_login(code.person)
    settings.TRANSFER_KEY_PATH = str(tmp_path / "transfer_ed25519.pem")
    page = browser.get("/record/").content.decode()
    assert 'data-testid="document-unavailable"' in page and "/document" not in page
    assert code.code in page and others.code not in page

    call_command("transfer_keys", "--create", stdout=open(tmp_path / "out.txt", "w"))
    page = browser.get("/record/").content.decode()
    assert f"/api/v1/me/transfer-codes/{code.code}/document" in page
    assert 'data-testid="document-unavailable"' not in page and others.code not in page
    assert browser.get(f"/api/v1/me/transfer-codes/{code.code}/document").status_code == 200


def test_a_code_that_lapsed_unused_is_explained_and_a_new_transfer_out_can_be_asked_for(chaoyang_reviewer):
    """An expired code used to leave the record 调出中 with no way on: the destination's refusal says
    "apply again", which the page did not offer."""
    from tests.factories import TransferCodeFactory

    code, other = TransferCodeFactory(), TransferCodeFactory()
    browser = Client()
    browser.force_login(code.person)
    page = browser.get("/record/").content.decode()
    assert 'data-testid="code-expired"' not in page and 'data-start="transfer_out"' not in page
    TransferCode.objects.filter(pk__in=[code.pk, other.pk]).update(expires_at=timezone.now() - dt.timedelta(days=1))
    page = browser.get("/record/").content.decode()
    assert 'data-testid="code-expired"' in page and "重新申请调出" in page
    assert 'data-start="transfer_out"' in page and 'data-start="change"' not in page
    response = browser.post(reverse("web:transfer_out"), {"destination_region": "130000"}, follow=True)
    (again,) = Application.objects.filter(applicant=code.person, type="transfer_out")
    assert again.status == "submitted" and response.status_code == 200
    assert Record.objects.get(user=code.person).status == "transferring_out"
    assert not Application.objects.filter(applicant=other.person).exists()


def test_the_record_page_shows_the_account_phone_as_it_is_now():
    """The record's phone is the verified account phone (PRODUCT.md): after a change of phone in
    我的账号 the page showed the approved version's old number until the next change."""
    from tests.factories import collected_person

    person, other = collected_person("110105"), collected_person("110105")
    version = RecordVersion.objects.get(record__user=person)
    version.data["basic"]["phone"] = "13700000001"
    version.save()
    type(person).objects.filter(pk=person.pk).update(phone="13911112222")
    person.refresh_from_db()
    browser = Client()
    browser.force_login(person)
    page = browser.get("/record/").content.decode()
    assert "13911112222" in page and "13700000001" not in page and other.phone not in page
