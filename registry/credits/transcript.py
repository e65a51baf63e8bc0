"""The transcript (继续教育学时证明) as a PDF in Chinese, with the CJK font embedded (a subset of
CREDITS_PDF_FONT, so any reader shows the glyphs without fonts of its own)."""

import io

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from registry.core.masking import mask_id_number

FONT = "RegistryCJK"


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, settings.CREDITS_PDF_FONT, subfontIndex=0))
    return FONT


def render(*, standing, record, number: str, issued_on, bureau: str) -> bytes:
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=18, leading=26, alignment=1)
    body = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=16)
    small = ParagraphStyle("small", fontName=font, fontSize=9, leading=13, textColor=colors.HexColor("#555555"))
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=18 * mm,
                            bottomMargin=18 * mm, initialFontName=font, title=f"{standing.year}年度会计人员继续教育学时证明",
                            author=bureau, subject=number)  # fmt: skip
    # initialFontName: the canvas' own first font too, or each page would also name a non-embedded Helvetica
    verdict = "已达标" if standing.compliant else f"未达标（尚差 {standing.missing} 学分）"
    if not standing.obliged:
        verdict = "本年度尚无继续教育义务（取得资格或参加会计工作的次年起）"
    summary = Table(
        [
            ["姓名", record.name, "证件号码", mask_id_number(record.id_number)],
            ["年度", f"{standing.year} 年", "管理区", record.district.name],
            ["总学分", str(standing.total), "应修学分", str(standing.required)],
            ["专业科目", str(standing.professional), "公需科目", str(standing.public)],
            ["结论", verdict, "", ""],
        ],
        colWidths=[28 * mm, 58 * mm, 28 * mm, 60 * mm],
    )
    grid = [("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 10),
            ("GRID", (0, 0), (-1, -1), 0.5, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]  # fmt: skip
    summary.setStyle(TableStyle([*grid, ("SPAN", (1, 4), (3, 4)), ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
                                 ("BACKGROUND", (2, 0), (2, 3), colors.whitesmoke)]))  # fmt: skip
    rows = [["完成日期", "课程或活动", "科目", "来源", "学分"]]
    for item in standing.records:
        if item.status != "accepted":
            continue
        rows.append([
            item.completed_on.isoformat() if item.completed_on else "",
            Paragraph(item.course or "—", body),
            item.get_subject_display(),
            item.get_source_display(),
            str(item.credits),
        ])  # fmt: skip
    if len(rows) == 1:
        rows.append(["", "本年度暂无已认定的学分", "", "", ""])
    detail = Table(rows, colWidths=[24 * mm, 86 * mm, 22 * mm, 26 * mm, 16 * mm], repeatRows=1)
    detail.setStyle(TableStyle([*grid, ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)]))
    story = [
        Paragraph(f"{standing.year}年度会计人员继续教育学时证明", title),
        Spacer(1, 6 * mm),
        summary,
        Spacer(1, 6 * mm),
        Paragraph("已认定学分明细", body),
        Spacer(1, 2 * mm),
        detail,
        Spacer(1, 8 * mm),
        Paragraph(f"出具单位：{bureau}　　出具日期：{issued_on:%Y年%m月%d日}", body),
        Paragraph(f"验证编号：{number}（可通过本系统核验接口 /api/v1/verify 核验）", body),
        Paragraph("依据《会计专业技术人员继续教育规定》（财会〔2018〕10号）：每年不少于90学分，其中专业科目不少于总学分的三分之二；学分当年有效，不得结转。", small),
    ]  # fmt: skip
    doc.build(story)
    return out.getvalue()
