"""The web pages: the person's year, declaring with proof, the district reviewing it."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from registry.credits.models import CreditDeclaration, DeclarationStatus
from registry.credits.services import provider_rows_apply
from tests.files import pdf_bytes

from .conftest import row

pytestmark = pytest.mark.django_db


def test_person_page_declare_and_district_review(client, person, chaoyang_reviewer, haidian_reviewer):
    provider_rows_apply(
        provider="机构", rows=[row(person, "W-1", credits="60"), row(person, "W-2", credits="29.5", subject="public")]
    )
    client.force_login(person.user)
    html = client.get("/credits/?year=2025").content.decode()
    assert "未达标" in html and "还差 <strong>0.5</strong>" in html and "credits-chart-data" in html
    assert "vendor/echarts/echarts.min.js" in html and "继续教育" in client.get("/").content.decode()

    year = dt.date.today().year
    response = client.post("/credits/declare/", {
        "year": year, "kind": "conference_day", "title": "会计学术年会", "date": f"{year}-05-10", "days": "1.5",
        "proof": SimpleUploadedFile("proof.pdf", pdf_bytes("参会证明")),
    })  # fmt: skip
    assert response.status_code == 302
    declaration = CreditDeclaration.objects.get()
    assert declaration.credits == 15 and declaration.proofs.count() == 1
    assert "按折算标准计 15.0 学分" in client.get("/credits/").content.decode()

    client.force_login(haidian_reviewer)
    assert client.get(f"/staff/credits/declarations/{declaration.pk}/").status_code == 404
    assert "会计学术年会" not in client.get("/staff/credits/declarations/").content.decode()
    client.force_login(chaoyang_reviewer)
    assert person.name in client.get("/staff/credits/declarations/").content.decode()
    assert "会计学术年会" in client.get(f"/staff/credits/declarations/{declaration.pk}/").content.decode()
    client.post(f"/staff/credits/declarations/{declaration.pk}/decide/", {"action": "approve"})
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.APPROVED

    client.force_login(person.user)
    assert client.get(f"/credits/transcript.pdf?year={year}")["Content-Type"] == "application/pdf"


def test_declare_page_refuses_a_date_outside_the_year_or_in_the_future(client, person, other_person):
    from registry.credits.services import declaration_submit, today

    this_year = today().year
    other = declaration_submit(person=other_person, actor=other_person.user, year=this_year, kind="paper_other",
                               details={"title": "论文"})  # fmt: skip
    client.force_login(person.user)
    for date, words in [(f"{this_year - 1}-05-10", f"不在申报年度（{this_year} 年）内"),
                        ((today() + dt.timedelta(days=28)).isoformat(), "晚于今天")]:  # fmt: skip
        response = client.post("/credits/declare/", {
            "year": this_year, "kind": "exam_subject", "title": "中级会计实务", "date": date,
            "proof": SimpleUploadedFile("proof.pdf", pdf_bytes("成绩单")),
        })  # fmt: skip
        assert response.status_code == 200
        errors = response.context["form"].errors
        assert list(errors) == ["date"] and words in errors["date"][0], errors
        assert words in response.content.decode()
    assert list(CreditDeclaration.objects.values_list("pk", flat=True)) == [other.pk]


def test_declare_page_names_the_maximum_of_days(client, person):
    client.force_login(person.user)
    response = client.post("/credits/declare/", {
        "year": dt.date.today().year, "kind": "conference_day", "title": "会计学术年会", "days": "400",
        "proof": SimpleUploadedFile("proof.pdf", pdf_bytes("参会证明")),
    })  # fmt: skip
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["days"] and "天数最多 366 天" in errors["days"][0], errors
    assert not CreditDeclaration.objects.exists()
