"""Comparing what was read from a material with what the applicant typed: pure functions.

Numbers are normalised on both sides before comparing — full-width to ASCII (NFKC), spaces and
separators dropped, the OCR confusions O/o→0 and I/l/|→1, x→X — so a number typed with a letter O
still matches its card. Numbers must then match exactly: bench/material_checks.py measured edit
distance 1 and 2 as well, and each let through typed numbers that differ in one digit (the typo this
check exists for) while recovering no genuine match (docs/materials.md, "Tolerance")."""

import re
import unicodedata
from dataclasses import dataclass

from stdnum.cn import ric

# Allowed edit distance between a typed number and the closest text on the material (measured: 0).
NUMBER_TOLERANCE = 0
# Names and schools: exact after normalisation (a name one character off is a different name).
TEXT_TOLERANCE = 0

_CONFUSIONS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "x": "X"})
_SEPARATORS = re.compile(r"[\s\-_·.,:：、。，'\"“”‘’()（）\[\]【】/]+")


def normalise_text(value: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value or ""))


def normalise_number(value: str) -> str:
    return normalise_text(value).translate(_CONFUSIONS).upper()


def _distance_in(needle: str, haystack: str) -> tuple[int, int, int]:
    """The smallest edit distance between `needle` and any substring of `haystack` (Sellers), with
    that substring's start and end."""
    if not needle or not haystack:
        return len(needle), 0, 0
    m = len(needle)
    # column-wise DP over the haystack; start[j] tracks where the best alignment ending at j begins
    previous = list(range(m + 1))
    previous_start = [0] * (m + 1)
    best, best_span = m, (0, 0)
    for j, char in enumerate(haystack, start=1):
        current, current_start = [0], [j]
        for i in range(1, m + 1):
            options = [
                (previous[i - 1] + (needle[i - 1] != char), previous_start[i - 1]),
                (previous[i] + 1, previous_start[i]),
                (current[i - 1] + 1, current_start[i - 1]),
            ]
            cost, start = min(options)
            current.append(cost)
            current_start.append(start)
        if current[m] < best:
            best, best_span = current[m], (current_start[m], j)
        previous, previous_start = current, current_start
    return best, best_span[0], best_span[1]


def _token(text: str, start: int, end: int) -> str:
    """The whole run of ASCII letters and digits around text[start:end] (a number is shown whole)."""
    while start > 0 and text[start - 1].isascii() and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isascii() and text[end].isalnum():
        end += 1
    return text[start:end]


@dataclass(frozen=True)
class Check:
    code: str
    ok: bool | None
    message: str
    found: str | None = None
    needle: str = ""  # what was looked for (normalised), for highlighting the recognised lines

    def as_dict(self) -> dict:
        out = {"code": self.code, "ok": self.ok, "message": self.message}
        if self.found is not None:
            out["found"] = self.found
        return out


def _joined(lines: list[dict], normalise) -> list[str]:
    """Each line, and the whole text run together (a number may be split over two detected boxes)."""
    texts = [normalise(line["text"]) for line in lines]
    return [*texts, "".join(texts)]


def _closest(needle: str, lines: list[dict], normalise, whole_token: bool) -> tuple[int, str]:
    """(edit distance, text) of the text read that is closest to `needle`; with `whole_token` a
    near miss is widened to its whole run of letters and digits (a number is shown whole)."""
    best = (len(needle) + 1, "")
    for text in _joined(lines, normalise):
        distance, start, end = _distance_in(needle, text)
        if distance < best[0]:
            best = (distance, _token(text, start, end) if distance and whole_token else text[start:end])
        if distance == 0:
            break
    return best


def find_number(typed: str, lines: list[dict], tolerance: int = NUMBER_TOLERANCE) -> tuple[bool, str]:
    """(found within tolerance, the closest text read)."""
    distance, read = _closest(normalise_number(typed), lines, normalise_number, whole_token=True)
    return distance <= tolerance, read


def find_text(typed: str, lines: list[dict], tolerance: int = TEXT_TOLERANCE) -> tuple[bool, str]:
    distance, read = _closest(normalise_text(typed), lines, normalise_text, whole_token=False)
    return distance <= tolerance, read


def checksum_ok(number: str) -> bool:
    """The 18th character is the ISO 7064 check of the first 17 (the region and birth date are not
    judged here: validators.validate_resident_id does that for the form)."""
    try:
        return len(number) == 18 and ric.calc_check_digit(number) == number[-1]
    except Exception:
        return False


ID_CANDIDATE = re.compile(r"\d{17}[\dX]")


def id_numbers_in(lines: list[dict]) -> list[str]:
    """18-character resident ID numbers in the text (each line, then the text run together; every
    18-character window of a longer run of digits), checksum-valid ones first."""
    found = []
    for text in _joined(lines, normalise_number):
        for run in re.finditer(r"[\dX]{18,}", text):
            value = run.group()
            for start in range(len(value) - 17):
                candidate = value[start : start + 18]
                if ID_CANDIDATE.fullmatch(candidate) and candidate not in found:
                    found.append(candidate)
    return sorted(found, key=lambda n: not checksum_ok(n))


def name_on_card(lines: list[dict]) -> str:
    """The text after 姓名 on an ID card (up to the next field), if the card shows it."""
    text = "".join(normalise_text(line["text"]) for line in lines)
    match = re.search(r"姓名(.{1,8}?)(?=性别|民族|出生|\d|$)", text)
    return match.group(1) if match else ""


def _short(value: str, keep: int = 24) -> str:
    return value if len(value) <= keep else value[:keep] + "…"


# --- The checks of each kind of material ---------------------------------------------------------

NO_TEXT = "未能从材料中识别出文字，请确认拍摄清晰、完整、没有反光后重新上传。"


def id_front_checks(basic: dict, lines: list[dict]) -> list[Check]:
    typed_number, typed_name = (basic.get("id_number") or "").strip(), (basic.get("name") or "").strip()
    checks = []
    if basic.get("id_type", "resident_id") == "resident_id":
        needle = normalise_number(typed_number)
        candidates = id_numbers_in(lines)
        if not lines:
            checks.append(Check("id_number", False, NO_TEXT))
        elif needle and checksum_ok(needle) and find_number(needle, lines, 0)[0]:
            checks.append(Check("id_number", True, "身份证照片上的号码与您填写的一致。", needle, needle))
        elif candidates:
            read = candidates[0]
            checks.append(
                Check(
                    "id_number",
                    False,
                    f"身份证照片上识别到的号码与您填写的不一致：识别为 {read}，您填写的是 {typed_number or '（未填写）'}。"
                    "请核对号码，或重新拍摄清晰的人像面。",
                    read,
                    read,
                )
            )
        else:
            checks.append(
                Check(
                    "id_number",
                    False,
                    "未能在身份证照片上识别出 18 位公民身份号码，请拍摄完整、清晰的人像面后重新上传。",
                )
            )
    else:
        checks.append(number_check("document_number", "证件号码", "证件照片", typed_number, lines))
    if typed_name:
        ok, read = find_text(typed_name, lines)
        if not lines:
            checks.append(Check("id_name", False, NO_TEXT))
        elif ok:
            checks.append(
                Check("id_name", True, "证件上的姓名与您填写的一致。", typed_name, normalise_text(typed_name))
            )
        else:
            on_card = name_on_card(lines)
            found = on_card or None
            detail = f"识别为“{on_card}”" if on_card else "未识别到该姓名"
            checks.append(
                Check(
                    "id_name",
                    False,
                    f"证件上的姓名与您填写的“{typed_name}”不一致：{detail}。请核对姓名，或重新拍摄清晰的证件。",
                    found,
                    normalise_text(on_card),
                )
            )
    return checks


def number_check(code: str, label: str, material: str, typed: str, lines: list[dict]) -> Check:
    typed = (typed or "").strip()
    if not typed:
        return Check(code, None, f"未检查：表中没有填写{label}。")
    if not lines:
        return Check(code, False, NO_TEXT)
    ok, read = find_number(typed, lines)
    if ok:
        return Check(code, True, f"{material}上的{label}与您填写的一致。", read, normalise_number(typed))
    if read and len(read) >= max(4, len(normalise_number(typed)) // 2):
        return Check(
            code,
            False,
            f"{material}上识别到的{label}与您填写的不一致：最接近的是 {_short(read)}，您填写的是 {typed}。"
            "请核对号码，或重新上传清晰的证书。",
            read,
            read,
        )
    return Check(
        code, False, f"未能在{material}上找到您填写的{label} {typed}。请核对号码，或重新上传清晰、完整的证书。"
    )


def school_check(school: str, lines: list[dict], material: str) -> Check:
    school = (school or "").strip()
    if not school:
        return Check("school", None, "未检查：表中没有填写学校名称。")
    if not lines:
        return Check("school", False, NO_TEXT)
    ok, read = find_text(school, lines)
    if ok:
        return Check("school", True, f"{material}上的学校名称与您填写的一致。", school, normalise_text(school))
    return Check(
        "school",
        False,
        f"未能在{material}上找到您填写的学校名称“{school}”"
        + (f"（最接近的文字：{_short(read)}）" if read else "")
        + "。请核对学校全称，或重新上传清晰的证书。",
        read or None,
        read,
    )


def text_checks(kind: str, form: dict, ref: int | None, lines: list[dict]) -> list[Check]:
    """The comparisons of one kind of material with its part of the form ([] for kinds without any)."""

    def entry(section):
        entries = form.get(section) or []
        return entries[ref] if ref is not None and 0 <= ref < len(entries) else {}

    if kind == "id_front":
        return id_front_checks(form.get("basic") or {}, lines)
    if kind == "qualification_cert":
        return [
            number_check(
                "certificate_number", "证书编号", "资格证书", entry("qualifications").get("certificate_number"), lines
            )
        ]
    if kind == "practicing_cert":
        return [
            number_check(
                "certificate_number", "证书编号", "执业资格证书", entry("practicing").get("certificate_number"), lines
            )
        ]
    if kind == "diploma":
        education = entry("education")
        return [
            number_check("diploma_number", "证书编号", "学历证书", education.get("diploma_number"), lines),
            school_check(education.get("school"), lines, "学历证书"),
        ]
    if kind == "degree":
        education = entry("education")
        return [
            number_check("degree_number", "证书编号", "学位证书", education.get("degree_number"), lines),
            school_check(education.get("school"), lines, "学位证书"),
        ]
    return []


TEXT_CODES = {
    "id_front": ["id_number", "id_name"],
    "qualification_cert": ["certificate_number"],
    "practicing_cert": ["certificate_number"],
    "diploma": ["diploma_number", "school"],
    "degree": ["degree_number", "school"],
}
