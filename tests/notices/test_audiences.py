"""Each audience reaches exactly the people it names (a second district, level and person beside
the first); a district reviewer reaches only their districts (403 otherwise)."""

import datetime as dt

import pytest

from registry.core.errors import ServiceError
from registry.notices import audiences
from registry.notices.audiences import audience_clean, audience_people
from registry.records.models import Record
from registry.records.services import record_set_status
from tests.people import collected

pytestmark = pytest.mark.django_db


def reached(audience, actor):
    clean = audience_clean(actor=actor, audience=audience)
    return set(audience_people(clean).values_list("user_id", flat=True))


@pytest.fixture
def town(db):
    return {
        "cy_mid": collected(district="110105", levels=["junior", "intermediate"]),
        "cy_junior": collected(district="110105", levels=["junior"]),
        "hd_senior": collected(district="110108", levels=["intermediate", "senior"]),
        "hd_none": collected(district="110108", levels=[]),
        "hd_audit": collected(district="110108", levels=["intermediate"], series="audit"),
    }


def ids(town, *names):
    return {town[n].pk for n in names}


def test_all_and_districts(town, municipal_admin):
    assert reached({"kind": "all"}, municipal_admin) == ids(town, *town)
    assert reached({"kind": "districts", "districts": ["110108"]}, municipal_admin) == ids(
        town, "hd_senior", "hd_none", "hd_audit"
    )


def test_transferred_out_people_are_not_reached(town, municipal_admin):
    record = Record.objects.get(user=town["cy_junior"])
    record_set_status(record=record, status="transferred_out", reason="test")
    assert town["cy_junior"].pk not in reached({"kind": "all"}, municipal_admin)


def test_qualification_level_is_the_highest_accounting_level(town, municipal_admin):
    assert reached({"kind": "qualification_level", "levels": ["intermediate"]}, municipal_admin) == ids(
        town, "cy_mid"
    )  # not hd_senior (senior is higher), not hd_audit (audit series)
    assert reached({"kind": "qualification_level", "levels": ["junior"]}, municipal_admin) == ids(town, "cy_junior")
    assert reached({"kind": "qualification_level", "levels": ["senior", "junior"]}, municipal_admin) == ids(
        town, "cy_junior", "hd_senior"
    )
    narrowed = {"kind": "qualification_level", "levels": ["intermediate", "senior"], "districts": ["110108"]}
    assert reached(narrowed, municipal_admin) == ids(town, "hd_senior")


def test_id_list_keeps_matches_and_counts_the_rest(town, municipal_admin, chaoyang_reviewer):
    numbers = [town["cy_mid"].id_number, town["hd_none"].id_number.lower(), "110105199001011234"]
    clean = audience_clean(actor=municipal_admin, audience={"kind": "id_list", "id_numbers": numbers})
    assert set(clean["user_ids"]) == ids(town, "cy_mid", "hd_none") and clean["unmatched"] == 1
    assert "id_numbers" not in clean  # the list itself is not kept
    # A Chaoyang reviewer's list reaches only Chaoyang people; the other one counts as unmatched.
    mine = audience_clean(actor=chaoyang_reviewer, audience={"kind": "id_list", "id_numbers": numbers})
    assert set(mine["user_ids"]) == ids(town, "cy_mid") and mine["unmatched"] == 2
    assert set(audience_people(mine).values_list("user_id", flat=True)) == ids(town, "cy_mid")


def test_ce_noncompliant_uses_the_credits_provider(town, municipal_admin, monkeypatch):
    # The credits app is built separately; its selector plugs in as a provider of user ids.
    asked = []

    def noncompliant(audience):
        asked.append(audience)
        return [town["cy_junior"].pk, town["hd_none"].pk]

    monkeypatch.setitem(audiences._providers, "ce_noncompliant", noncompliant)
    assert reached({"kind": "ce_noncompliant", "year": 2025}, municipal_admin) == ids(town, "cy_junior", "hd_none")
    assert reached({"kind": "ce_noncompliant", "year": 2025, "districts": ["110105"]}, municipal_admin) == ids(
        town, "cy_junior"
    )
    assert asked[0] == {"kind": "ce_noncompliant", "year": 2025}


def test_ce_noncompliant_comes_from_the_credits_app(municipal_admin, chaoyang_reviewer):
    """The real wiring: people obliged in 2025 and short of its rules, as the credits app counts them."""
    from registry.accounts.services import api_client_create
    from registry.credits.services import credits_push
    from tests.credits.conftest import collect, row

    short_cy = collect(name="差学分", district="110105")
    short_hd = collect(name="也差", district="110108")
    done = collect(name="达标", district="110105")
    provider = api_client_create(name="培训中心", scope="provider").client
    credits_push(
        client=provider, records=[row(done, "p1", credits="60"), row(done, "p2", credits="30", subject="public")]
    )
    everyone = reached({"kind": "ce_noncompliant", "year": 2025}, municipal_admin)
    assert {short_cy.user_id, short_hd.user_id} <= everyone and done.user_id not in everyone
    # a district reviewer's audience is narrowed to their districts
    assert reached({"kind": "ce_noncompliant", "year": 2025}, chaoyang_reviewer) == {short_cy.user_id}


@pytest.mark.parametrize(
    "audience",
    [
        {"kind": "all"},
        {"kind": "districts", "districts": ["110105", "110108"]},
        {"kind": "qualification_level", "levels": ["junior"], "districts": ["110108"]},
    ],
)
def test_a_reviewer_reaching_outside_their_districts_is_refused(audience, chaoyang_reviewer):
    with pytest.raises(ServiceError) as refused:
        audience_clean(actor=chaoyang_reviewer, audience=audience)
    assert refused.value.status == 403 and refused.value.code == "outside_districts"


def test_a_reviewer_audience_is_narrowed_to_their_districts(town, chaoyang_reviewer):
    assert reached({"kind": "qualification_level", "levels": ["junior"]}, chaoyang_reviewer) == ids(town, "cy_junior")
    assert reached({"kind": "districts", "districts": ["110105"]}, chaoyang_reviewer) == ids(
        town, "cy_mid", "cy_junior"
    )


@pytest.mark.parametrize(
    ("audience", "code"),
    [
        ({"kind": "everyone"}, "unknown_audience"),
        ({"kind": "districts"}, "required"),
        ({"kind": "districts", "districts": ["999999"]}, "unknown_code"),
        ({"kind": "districts", "districts": ["130102"]}, "unknown_code"),  # 河北 长安区: not this deployment's
        ({"kind": "qualification_level", "levels": ["expert"]}, "unknown_code"),
        ({"kind": "campaign_nonresponders", "campaign": "not-a-campaign"}, "unknown_campaign"),
        ({"kind": "id_list", "id_numbers": []}, "required"),
    ],
)
def test_bad_audiences_are_refused(audience, code, municipal_admin):
    with pytest.raises(ServiceError) as refused:
        audience_clean(actor=municipal_admin, audience=audience)
    assert refused.value.status == 400 and refused.value.code == code


def test_no_update_years_is_the_three_year_template(town, municipal_admin):
    from django.utils import timezone

    from registry.notices.audiences import CAMPAIGN_KINDS
    from registry.records.models import RecordVersion

    old = timezone.now() - dt.timedelta(days=365 * 3 + 10)
    RecordVersion.objects.filter(record__user=town["hd_none"]).update(created_at=old)
    clean = audience_clean(
        actor=municipal_admin, audience={"kind": "no_update_years", "years": 3}, kinds=CAMPAIGN_KINDS
    )
    assert set(audience_people(clean).values_list("user_id", flat=True)) == ids(town, "hd_none")
    with pytest.raises(ServiceError):  # a campaign scope, not a notice audience
        audience_clean(actor=municipal_admin, audience={"kind": "no_update_years", "years": 3})


def test_campaign_nonresponders_narrowed_to_a_reviewers_districts(town, municipal_admin, chaoyang_reviewer):
    from django.utils import timezone

    from registry.campaigns.services import campaign_confirm, campaign_open, campaigns_tick

    campaign = campaign_open(
        actor=municipal_admin,
        name="核查",
        scope={"kind": "all"},
        deadline=timezone.localdate() + dt.timedelta(days=5),
        on_no_response="abnormal",
    )
    campaigns_tick()
    campaign_confirm(campaign_id=campaign.pk, actor=town["cy_mid"])
    audience = {"kind": "campaign_nonresponders", "campaign": str(campaign.pk)}
    assert reached(audience, municipal_admin) == ids(town, "cy_junior", "hd_senior", "hd_none", "hd_audit")
    assert reached(audience, chaoyang_reviewer) == ids(town, "cy_junior")
