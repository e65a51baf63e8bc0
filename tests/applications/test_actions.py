"""One answer to "what may I do now": every status × type × role.

For each case an application is built through the services, then each person's page is read:
the buttons it shows (`data-action` / `data-start`) must be exactly what the rule below says
(written out here, independently of states.py) and exactly `states.available_actions`; the API's
`actions` must say the same; and every button's own request must then succeed (each in a
savepoint that is rolled back, so the next button starts from the same state).
"""

import copy
from html.parser import HTMLParser

import pytest
from django.db import transaction
from django.utils import timezone

from registry.accounts import auth
from registry.applications import services, states
from registry.applications.models import Application, ApplicationStatus
from registry.records.models import Record
from registry.records.services import record_apply
from registry.review import services as review
from registry.transfers.models import TransferCode
from tests.applications.conftest import VALID_FORM, upload_all_materials, valid_uscc
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TYPES = ["first_collection", "change", "transfer_in", "transfer_out"]
STATUSES = ["draft", "submitted", "in_review", "approved", "rejected", "withdrawn"]
# reviewer: of the district, the one who claims; colleague: the same district, not the claimer;
# outsider: another district's reviewer.
ROLES = ["owner", "reviewer", "colleague", "outsider", "admin"]
CASES = [(t, s) for t in TYPES for s in STATUSES if not (t == "transfer_out" and s == "draft")]


def expected_actions(type_: str, status: str, role: str) -> set[str]:
    """The rule, as PRODUCT.md and the issue state it."""
    if role == "owner":
        edit = set() if type_ == "transfer_out" else {"edit", "submit"}  # a transfer out is never resubmitted
        return {"draft": edit | {"withdraw"}, "submitted": {"withdraw"}, "rejected": edit | {"withdraw"}}.get(
            status, set()
        )
    if role == "outsider":
        return set()
    admin = role == "admin"
    if status == "submitted":
        return {"claim"} | ({"reassign"} if admin else set())
    if status == "in_review":
        if admin:
            return {"approve", "reject", "reassign", "release"}
        return {"approve", "reject"} if role == "reviewer" else set()
    if status == "approved" and type_ == "transfer_out":
        return {"revoke_code"}
    return set()


def expected_starts(type_: str, status: str) -> set[str]:
    """What the owner may start (the record page shows change and transfer out; the API all)."""
    has_record = type_ in ("change", "transfer_out") or status == "approved"
    transferring = type_ == "transfer_out" and status == "approved"
    if status in ("draft", "submitted", "in_review", "rejected"):
        return set()  # one open application at a time
    if not has_record:
        return {"first_collection", "transfer_in"}
    return {"transfer_in"} if transferring else {"change", "transfer_out"}


class Buttons(HTMLParser):
    """Elements with data-action / data-start, with the form each belongs to."""

    def __init__(self):
        super().__init__()
        self.found: list[dict] = []
        self.form: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.form = attrs
        if "data-action" in attrs or "data-start" in attrs:
            self.found.append({"tag": tag, "attrs": attrs, "form": self.form if tag != "form" else attrs})

    def handle_endtag(self, tag):
        if tag == "form":
            self.form = None


def buttons(html: str, kind: str = "data-action") -> list[dict]:
    parser = Buttons()
    parser.feed(html)
    return [b for b in parser.found if kind in b["attrs"]]


def shown(html: str, kind: str = "data-action") -> set[str]:
    return {b["attrs"][kind] for b in buttons(html, kind)}


@pytest.fixture
def people(db):
    # No passwords: nobody logs in with one here (force_login, token_issue), and hashing costs seconds.
    return {
        "owner": UserFactory(password=None),
        "reviewer": UserFactory(reviewer=True, district_codes=["110105"], name="甲审核员", password=None),
        "colleague": UserFactory(reviewer=True, district_codes=["110105"], name="乙审核员", password=None),
        "outsider": UserFactory(reviewer=True, district_codes=["110108"], password=None),
        "admin": UserFactory(admin=True, password=None),
    }


def _form(owner, type_: str = "first_collection", id_number: str = "") -> dict:
    data = copy.deepcopy(VALID_FORM)
    data["employment"]["unit_uscc"] = valid_uscc()
    data["basic"]["phone"] = owner.phone
    if id_number:
        data["basic"]["id_number"] = id_number
    if type_ == "change":
        data["other"]["change_event_date"] = timezone.localdate().isoformat()
        data["employment"]["department"] = "审计部"  # a change changes something
    return data


def build(type_: str, status: str, people, *, id_number: str = "") -> Application:
    """An application of `type_` in `status`, managed by 朝阳区 (110105), made through the services
    (`id_number`: another person's, born on the same day, when the owner's is collected already)."""
    owner, reviewer = people["owner"], people["reviewer"]
    if type_ in ("change", "transfer_out"):
        record_apply(user=owner, district_code="110105", data=_form(owner), source="first_collection")
    if type_ == "transfer_out":
        application = services.transfer_out_request(applicant=owner, destination_region="130000")
    else:
        extra = {"origin_region": "130000", "origin_reference": "HB-2026-0001"} if type_ == "transfer_in" else {}
        application = services.application_create(applicant=owner, type=type_, **extra)
        form = _form(owner, type_, id_number)
        application = services.application_save_form(application=application, actor=owner, form=form)
        upload_all_materials(application, owner)
        if status == "draft":
            return application
        application = services.application_submit(application=application, actor=owner)
    if status == "withdrawn":
        return services.application_withdraw(application=application, actor=owner)
    if status == "submitted":
        return application
    application = review.review_claim(application=application, actor=reviewer)
    if status == "in_review":
        return application
    decision = "approve" if status == "approved" else "reject"
    return review.review_decide(
        application=application, actor=reviewer, decision=decision, reasons=["photo_noncompliant"], comment="请更换"
    )


def page_of(client, role: str, application: Application):
    if role == "owner":
        return client.get(f"/apply/{application.pk}/")
    return client.get(f"/staff/review/{application.pk}/")


def press(client, button: dict, people) -> None:
    """Send the request a button sends: follow a link (and the submit form behind "核对并提交"), post a form."""
    action = button["attrs"]["data-action"]
    if button["tag"] == "a":
        response = client.get(button["attrs"]["href"])
        assert response.status_code == 200, (action, response.status_code)
        if action == "submit":
            (form,) = [b for b in buttons(response.content.decode()) if b["attrs"]["data-action"] == "submit"]
            response = client.post(form["attrs"]["action"])
            assert response.status_code == 302
        return
    form = button["form"]
    data = {}
    if action in ("approve", "reject"):
        data = {"decision": action, "reasons": ["photo_noncompliant"], "comment": "意见"}
    if action == "reassign":
        data = {"reviewer": people["colleague"].pk}
    response = client.post(form["action"], data)
    assert response.status_code == 302, (action, response.status_code)


def moved_as_the_table_says(application: Application, status: str, action: str, people) -> None:
    fresh = Application.objects.get(pk=application.pk)
    transition = states.TRANSITIONS.get((status, action))
    if transition is not None:
        assert fresh.status == transition.to, (action, fresh.status)
    if action == "reassign":
        assert fresh.claimed_by_id == people["colleague"].pk
    if action == "release":
        assert fresh.claimed_by_id is None
    if action == "revoke_code":
        assert TransferCode.objects.get(transfer_out=application).revoked_at is not None
    if action == "edit":
        assert fresh.status == status


@pytest.mark.parametrize(("type_", "status"), CASES)
def test_pages_show_exactly_the_allowed_actions_and_each_works(client, api, people, type_, status):
    application = build(type_, status, people)
    assert application.status == status
    for role in ROLES:
        check_role(client, api, people, application, type_, status, role)


def check_role(client, api, people, application, type_, status, role):
    user = people[role]
    allowed = states.available_actions(application, user)
    assert allowed == expected_actions(type_, status, role), role

    client.force_login(user)
    response = page_of(client, role, application)
    visible_to_staff = role in ("reviewer", "colleague", "admin") and status != "draft"
    if role == "owner" or visible_to_staff:
        assert response.status_code == 200, role
        html = response.content.decode()
        assert shown(html) == allowed, role
    else:
        assert response.status_code == 404, role  # a page they cannot see offers nothing
        assert allowed == set()

    # The API says the same.
    api.token, _ = auth.token_issue(user=user)  # (a login per role would only hash passwords)
    own = role == "owner"
    answer = api.get(f"/api/v1/{'me' if own else 'review'}/applications/{application.pk}")
    if response.status_code == 200:
        assert answer.status_code == 200
        assert answer.json()["actions"] == sorted(allowed), role
    else:
        assert answer.status_code == 404

    if own:
        record_page = client.get("/record/").content.decode()
        assert shown(record_page) == (allowed if status in ("draft", "submitted", "in_review", "rejected") else set())
        assert shown(record_page, "data-start") == expected_starts(type_, status) & {"change", "transfer_out"}
        if Record.objects.filter(user=user).exists():
            assert api.get("/api/v1/me/record").json()["actions"] == sorted(expected_starts(type_, status))

    # Every button's own request succeeds.
    if response.status_code == 200:
        for button in buttons(html):
            savepoint = transaction.savepoint()
            try:
                press(client, button, people)
                moved_as_the_table_says(application, status, button["attrs"]["data-action"], people)
            finally:
                transaction.savepoint_rollback(savepoint)


def test_a_rejected_transfer_out_is_withdrawn_from_the_web_and_can_be_asked_again(client, people):
    application = build("transfer_out", "rejected", people)
    client.force_login(people["owner"])
    html = client.get(f"/apply/{application.pk}/").content.decode()
    assert shown(html) == {"withdraw"} and "按审核意见修改" not in html and "核对并提交" not in html
    client.post(f"/apply/{application.pk}/withdraw/")
    assert Application.objects.get(pk=application.pk).status == ApplicationStatus.WITHDRAWN
    assert shown(client.get("/record/").content.decode(), "data-start") == {"change", "transfer_out"}


def test_the_services_refuse_what_the_pages_hide(people):
    from registry.core.errors import Conflict

    application = build("transfer_out", "rejected", people)
    with pytest.raises(Conflict) as refused:
        services.application_submit(application=application, actor=people["owner"])
    assert refused.value.code == "invalid_transition"
    with pytest.raises(Conflict):
        services.application_save_form(application=application, actor=people["owner"], form=application.form)
    another = {**people, "owner": UserFactory(password=None)}
    claimed = build("first_collection", "in_review", another, id_number="110105199003070017")
    with pytest.raises(Conflict) as refused:
        review.review_decide(application=claimed, actor=people["colleague"], decision="approve")
    assert refused.value.code == "claimed_by_other"


def test_a_new_guard_plugs_in_for_buttons_and_services(people, monkeypatch):
    """How another app adds a rule (e.g. a frozen record): one guard, seen by pages and services alike."""
    from registry.core.errors import Conflict

    application = build("first_collection", "draft", people)
    guards = {action: list(fns) for action, fns in states.GUARDS.items()}
    monkeypatch.setattr(states, "GUARDS", guards)

    @states.guard("submit")
    def _campaign_closed(application, user):
        return states.Refusal("campaign_closed", "本年度采集已截止。")

    assert states.available_actions(application, people["owner"]) == {"edit", "withdraw"}
    with pytest.raises(Conflict) as refused:
        services.application_submit(application=application, actor=people["owner"])
    assert refused.value.code == "campaign_closed"
