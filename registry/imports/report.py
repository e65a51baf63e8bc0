"""The report of rows not imported: an XLSX workbook, one line per row with the reasons."""

import io

from openpyxl import Workbook

from .rows import field_label

HEAD = ["行号", "证件号码", "姓名", "原因代码", "原因"]


def _safe(value):
    # A cell that starts with = + - @ would be a formula in Excel: shown as text instead.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def build_report(*, header: list[str], rows: list[dict]) -> bytes:
    """rows: {"row_no", "id_number", "name", "problems": [(code, field, message)], "raw": [...]}"""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("未导入的行")
    sheet.append(HEAD + [f"原文件：{h}" for h in header])
    for row in sorted(rows, key=lambda r: r["row_no"]):
        codes = "; ".join(dict.fromkeys(code for code, _, _ in row["problems"]))
        reasons = "；".join(
            f"{field_label(field)}：{message}" if field else message for _, field, message in row["problems"]
        )
        sheet.append(
            [_safe(v) for v in [row["row_no"], row["id_number"], row["name"], codes, reasons, *row.get("raw", [])]]
        )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
