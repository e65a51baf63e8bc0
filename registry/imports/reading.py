"""Reading an import file (CSV or XLSX) row by row, with an optional mapping for another system's
column names and code values, so a real export loads without editing it by hand.

A mapping file is JSON:

    {"columns": {"身份证号": "id_number", "学历代码": "education_level"},
     "values": {"education_level": {"21": "bachelor", "本科": "bachelor"}, "gender": {"1": "M", "2": "F"}},
     "date_formats": ["%Y/%m/%d", "%Y%m%d"],
     "defaults": {"id_type": "resident_id"}}

Columns not named in the mapping keep their own name (ours, or our Chinese label).
"""

import csv
import datetime as dt
import io
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from registry.core.errors import ServiceError

from .template import ALL_COLUMNS, HEADER_ALIASES

DATE_COLUMNS = {
    "birth_date",
    "graduation_date",
    "qualification_obtained_on",
    "accounting_since",
    "collected_on",
    "education_start_date",
}


@dataclass
class Mapping:
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    date_formats: list[str] = field(default_factory=list)
    defaults: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data: dict | None) -> "Mapping":
        data = data or {}
        if not isinstance(data, dict):
            raise ServiceError("invalid_mapping", "映射文件须为 JSON 对象。")
        mapping = cls(
            columns={str(k).strip(): str(v).strip() for k, v in (data.get("columns") or {}).items()},
            values={
                str(col): {str(k).strip(): str(v).strip() for k, v in (table or {}).items()}
                for col, table in (data.get("values") or {}).items()
            },
            date_formats=[str(f) for f in data.get("date_formats") or []],
            defaults={str(k): str(v) for k, v in (data.get("defaults") or {}).items()},
        )
        unknown = sorted(
            {v for v in mapping.columns.values() if v not in ALL_COLUMNS}
            | {k for k in mapping.values if k not in ALL_COLUMNS}
            | {k for k in mapping.defaults if k not in ALL_COLUMNS}
        )
        if unknown:
            raise ServiceError("invalid_mapping", f"映射文件中有模板以外的列：{'、'.join(unknown)}")
        return mapping

    @classmethod
    def load(cls, path: str | Path | None) -> "Mapping":
        if not path:
            return cls()
        try:
            return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8-sig")))
        except (OSError, ValueError) as exc:
            raise ServiceError("invalid_mapping", f"映射文件无法读取：{exc}") from None

    def as_dict(self) -> dict:
        return {
            "columns": self.columns,
            "values": self.values,
            "date_formats": self.date_formats,
            "defaults": self.defaults,
        }


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone or code Excel stored as a number
    return str(value).strip()


def decode_csv(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ServiceError("unreadable_file", "CSV 文件编码无法识别（请使用 UTF-8 或 GBK）。")


def _is_xlsx(path: Path) -> bool:
    with path.open("rb") as probe:
        return probe.read(4).startswith(b"PK\x03\x04")


def _raw_rows(path: Path) -> Iterator[list[str]]:
    if _is_xlsx(path):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise ServiceError("unreadable_file", f"XLSX 文件无法读取：{exc}") from None
        try:
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield [_cell(v) for v in row]
        finally:
            workbook.close()
        return
    yield from _text_rows(decode_csv(path.read_bytes()))


def _text_rows(text: str) -> Iterator[list[str]]:
    for row in csv.reader(io.StringIO(text, newline="")):
        yield [v.strip() for v in row]  # _cell of a string, without its type checks (a million rows)


class Reader:
    """Iterates (row number, {our column: value}) over a file; row numbers as Excel shows them.

    `blocks()` gives the same rows in pieces for the checking processes (issue 15): a CSV without
    a quote character is cut into text blocks at line ends, so this process neither parses nor
    pickles its rows (`rows_of_block` does that where they are checked); any other file comes as
    lists of cells."""

    def __init__(self, path: str | Path, mapping: Mapping | None = None):
        self.path = Path(path)
        self.mapping = mapping or Mapping()
        self.header: list[str] = []
        self.columns: list[str | None] = []
        self._text: str | None = None  # a quote-free CSV, its rows from _text_start on
        self._text_start = 0
        self._rows: Iterator[list[str]] | None = None

    def _resolve(self, name: str) -> str | None:
        name = name.strip()
        name = self.mapping.columns.get(name, name)
        name = HEADER_ALIASES.get(name, name)
        return name if name in ALL_COLUMNS else None

    def _date(self, value: str) -> str:
        if not value:
            return value
        for fmt in self.mapping.date_formats:
            try:
                return dt.datetime.strptime(value, fmt).date().isoformat()
            except ValueError:
                continue
        return value[:10] if len(value) > 10 and value[10] in " T" else value

    def open(self) -> None:
        """Reads the header (the first line that is not empty)."""
        if _is_xlsx(self.path):
            rows = _raw_rows(self.path)
        else:
            text = decode_csv(self.path.read_bytes())
            if '"' not in text and text.count("\r") == text.count("\r\n"):
                # Every line end is a row's end: the header is found line by line, the rest stays text.
                pos = 0
                while pos < len(text):
                    end = text.find("\n", pos)
                    end = len(text) if end < 0 else end + 1
                    header = [_cell(v) for v in next(csv.reader([text[pos:end]]), [])]
                    pos = end
                    if any(header):
                        self._start(header)
                        self._text, self._text_start = text, pos
                        return
                raise ServiceError("empty_file", "文件为空：第一行应为列名。")
            rows = _text_rows(text)
        for header in rows:
            if any(header):
                break
        else:
            raise ServiceError("empty_file", "文件为空：第一行应为列名。")
        self._start(header)
        self._rows = rows

    def _start(self, header: list[str]) -> None:
        self.header = header
        self.columns = [self._resolve(h) for h in header]
        if "id_number" not in self.columns:
            raise ServiceError("missing_columns", "文件缺少“id_number（证件号码）”列；如列名不同，请提供映射文件。")

    def blocks(self, rows: int = 1000) -> Iterator[str | list[list[str]]]:
        """The rows after the header, about `rows` at a time: a text block or a list of cell lists.
        Every row counts for the numbering, empty ones too (`rows_of_block`)."""
        if self._text is not None:
            text, pos, size = self._text, self._text_start, rows * 256
            while pos < len(text):
                end = text.find("\n", pos + size)
                end = len(text) if end < 0 else end + 1
                yield text[pos:end]
                pos = end
            return
        while chunk := list(itertools.islice(self._rows, rows)):
            yield chunk

    def row_of(self, raw: list[str]) -> dict[str, str]:
        """{our column: value} of a row's cells, through the mapping."""
        values, columns = self.mapping.values, self.columns
        row = dict(self.mapping.defaults)
        for column, value in zip(columns, raw, strict=False):
            if column is None:
                continue
            if column in values and value in values[column]:
                value = values[column][value]
            if column in DATE_COLUMNS:
                value = self._date(value)
            if value or column not in row:
                row[column] = value
        return row

    def __iter__(self) -> Iterator[tuple[int, dict[str, str], list[str]]]:
        self.open()
        number = 1
        for block in self.blocks():
            for raw in rows_of_block(block):
                number += 1
                if any(raw):
                    yield number, self.row_of(raw), raw


def rows_of_block(block: str | list[list[str]]) -> Iterator[list[str]] | list[list[str]]:
    """The cell lists of a block from `Reader.blocks`, empty rows included."""
    return _text_rows(block) if isinstance(block, str) else block
