"""The dashboard page: admin (also their home page) and district reviewer, exports from the page."""

import pytest

from registry.audit.models import AuditEntry
from registry.stats.services import stats_refresh


@pytest.mark.django_db
def test_admin_home_is_the_overview(dataset, client, municipal_admin):
    stats_refresh()
    client.force_login(municipal_admin)
    page = client.get("/").content.decode()
    assert "统计概览" in page and "办理信息采集" not in page
    assert 'data-figure="total">5<' in page
    assert "vendor/echarts/echarts.min.js" in page
    # a table under every chart
    for table in (
        "table-districts",
        "table-qualification",
        "table-education",
        "table-age",
        "table-gender",
        "table-flows",
    ):
        assert f'id="{table}"' in page
    assert "<td>朝阳区</td><td>3</td>" in page and "<td>海淀区</td><td>2</td>" in page
    assert "<td>中级</td><td>1</td>" in page  # labels from the code tables, never raw codes
    assert 'id="ce-none"' in page and "暂无数据" in page
    assert "数据截至" in page


@pytest.mark.django_db
def test_reviewer_sees_only_own_districts(dataset, client, chaoyang_reviewer):
    stats_refresh()
    client.force_login(chaoyang_reviewer)
    page = client.get("/staff/stats/").content.decode()
    assert 'data-figure="total">3<' in page
    assert "海淀区" not in page
    # asking for another district falls back to the reviewer's own
    page = client.get("/staff/stats/", {"district": "110108"}).content.decode()
    assert 'data-figure="total">3<' in page and "海淀区" not in page


@pytest.mark.django_db
def test_applicant_refused(client, applicant):
    client.force_login(applicant)
    assert client.get("/staff/stats/").status_code == 403


@pytest.mark.django_db
def test_export_from_the_page(dataset, client, chaoyang_reviewer):
    client.force_login(chaoyang_reviewer)
    response = client.post("/staff/stats/export/", {"format": "csv", "district": "", "level": "", "status": ""})
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(content.strip().splitlines()) == 4
    response = client.post("/staff/stats/export/", {"format": "csv", "district": "110108"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="export.people").count() == 1


@pytest.mark.django_db
def test_admin_grants_full_id_numbers(make_person, client, api, municipal_admin, chaoyang_reviewer):
    person = make_person("110105")
    api.login(chaoyang_reviewer.phone)
    masked = api.get("/api/v1/exports/people.csv")
    assert person.id_number not in b"".join(masked.streaming_content).decode("utf-8-sig")
    client.force_login(municipal_admin)
    assert client.post(f"/staff/exports/permission/{chaoyang_reviewer.pk}/", {"allow": "1"}).status_code == 302
    full = api.get("/api/v1/exports/people.csv")
    assert person.id_number in b"".join(full.streaming_content).decode("utf-8-sig")
    grant = AuditEntry.objects.get(action="export.permission_grant")
    assert grant.actor_id == municipal_admin.pk and grant.target_id == str(chaoyang_reviewer.pk)
    client.post(f"/staff/exports/permission/{chaoyang_reviewer.pk}/", {"allow": "0"})
    again = api.get("/api/v1/exports/people.csv")
    assert person.id_number not in b"".join(again.streaming_content).decode("utf-8-sig")
    # a reviewer cannot grant it (to themselves or anyone)
    client.force_login(chaoyang_reviewer)
    assert client.post(f"/staff/exports/permission/{chaoyang_reviewer.pk}/", {"allow": "1"}).status_code == 403
    assert not chaoyang_reviewer.user_permissions.exists()


@pytest.mark.django_db
def test_the_export_offers_and_exports_people_without_a_qualification(dataset, client, chaoyang_reviewer):
    # The table counted 无资格 but the export's level list left it out (its row has no code).
    stats_refresh()
    client.force_login(chaoyang_reviewer)
    page = client.get("/staff/stats/").content.decode()
    levels = page.split('<select name="level">')[1].split("</select>")[0]
    assert '<option value="none">无资格</option>' in levels and '<option value="junior">初级</option>' in levels
    assert "高级" not in levels  # only 海淀 has a 高级: not a choice for 朝阳
    response = client.post("/staff/stats/export/", {"format": "csv", "level": "none"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2 and lines[1].split(",")[8] == "无" and "朝阳区" in lines[1]
