"""The transcript PDF: Chinese glyphs rendered (PDFium → PNG), the CJK font embedded (pypdf's
font list), and its verification number kept for later confirmation."""

import io
from decimal import Decimal

import pytest
from PIL import Image
from pypdf import PdfReader

from registry.applications.materials import render_pdf_pages
from registry.credits.selectors import transcript_by_number
from registry.credits.services import provider_rows_apply
from tests.helpers import ROOT

from .conftest import row

pytestmark = pytest.mark.django_db


def embedded_fonts(reader: PdfReader) -> list[tuple[str, bool]]:
    """(BaseFont, has an embedded font file) for every font of every page, descendants included."""
    found = []
    for page in reader.pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]
            for item in descendants:
                descriptor = item.get("/FontDescriptor")
                descriptor = descriptor.get_object() if descriptor else {}
                embedded = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
                found.append((str(item.get("/BaseFont")), embedded))
    return found


def test_transcript_pdf_in_chinese_with_embedded_font(api, person, tmp_path):
    provider_rows_apply(
        provider="测试机构", rows=[row(person, "T-1", credits="60"), row(person, "T-2", credits="30", subject="public")]
    )
    api.login(person.user.phone)
    response = api.get("/api/v1/me/credits/transcript.pdf", {"year": 2025})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    reader = PdfReader(io.BytesIO(pdf))
    fonts = embedded_fonts(reader)
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert any("WenQuanYi" in name or "RegistryCJK" in name for name, _ in fonts), fonts
    text = reader.pages[0].extract_text()
    assert "继续教育学时证明" in text and "张三" in text and "已达标" in text
    number = reader.metadata.subject
    issued = transcript_by_number(number)
    assert issued is not None and issued.record == person and issued.total == Decimal(90) and issued.compliant
    assert number in text

    # rendered to PNG (poppler's pdftoppm is not installed here; PDFium, which renders reviewers'
    # PDF pages, draws only what the PDF itself carries: its embedded font)
    page = next(render_pdf_pages(pdf))
    image = Image.open(io.BytesIO(page.content)).convert("L")
    width, height = image.size
    title = image.crop((0, 0, width, height // 8))
    dark = sum(1 for value in title.getdata() if value < 128)
    assert dark > 1000, dark  # the title's Chinese glyphs are drawn
    artifacts = ROOT / "test-artifacts" / "credits"
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "transcript-page1.png").write_bytes(page.content)
