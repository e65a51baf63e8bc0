"""Reading the checks of materials: the stored reading compared with the current form.

`checks_of` answers API.md's `checks: [{"code", "ok", "message", "found"?}]` — `ok` is None while a
check is running and when it could not run ("未检查：…"), then True or False."""

from django.db.models import prefetch_related_objects

from registry.applications.form import normalize_form

from . import legibility
from .matching import TEXT_CODES, Check, normalise_number, normalise_text, text_checks
from .models import MaterialReading, ReadingStatus

IMAGE_TYPES = {"image/jpeg", "image/png", "application/pdf"}
# The photo's face: at least this share of the picture's width, its centre within this share of the middle.
FACE_MIN_WIDTH = 0.30
FACE_CENTRE_TOLERANCE = 0.15

LABELS = {
    "id_number": "身份证号码",
    "document_number": "证件号码",
    "id_name": "姓名",
    "certificate_number": "证书编号",
    "diploma_number": "学历证书编号",
    "degree_number": "学位证书编号",
    "school": "学校名称",
    "sharpness": "清晰度",
    "exposure": "亮度",
    "face": "人脸",
}


def with_readings(attachments) -> list:
    """The attachments with their readings loaded in one query (for lists of materials)."""
    attachments = list(attachments)
    prefetch_related_objects(attachments, "reading")
    return attachments


def reading_of(attachment) -> MaterialReading | None:
    try:
        return attachment.reading
    except MaterialReading.DoesNotExist:
        return None


def expected_codes(kind: str, form: dict) -> list[str]:
    codes = list(TEXT_CODES.get(kind, []))
    if kind == "id_front" and (form.get("basic") or {}).get("id_type", "resident_id") != "resident_id":
        codes[0] = "document_number"
    # A portrait has too little fine detail for the sharpness measure (it is tuned on documents).
    codes += ["exposure", "face"] if kind == "photo" else ["sharpness", "exposure"]
    return codes


def _legibility_checks(metrics: dict, *, photo: bool) -> list[Check]:
    sharpness = metrics.get("sharpness")
    if sharpness is None:
        return []
    checks = []
    p1, p99 = metrics.get("p1", 0), metrics.get("p99", 255)
    if p99 - p1 < legibility.BLANK_RANGE_MAX:
        blank = "页面是空白的，看不到任何文字或图像。请确认上传了正确的文件（扫描件须有内容的那一页）。"
        return [Check("exposure", False, blank, f"{p1}–{p99}")]
    if photo:
        pass  # a portrait has too little fine detail for this measure
    elif sharpness < legibility.SHARPNESS_MIN:
        checks.append(
            Check(
                "sharpness",
                False,
                f"图片模糊（清晰度 {sharpness:.1f}，低于 {legibility.SHARPNESS_MIN:.1f}），审核人员可能无法辨认文字。"
                "请对准焦点、拿稳手机，在光线充足处重新拍摄。",
                f"{sharpness:.1f}",
            )
        )
    else:
        checks.append(Check("sharpness", True, "图片清晰。", f"{sharpness:.1f}"))
    found = f"{p1}–{p99}"
    if p99 < legibility.DARK_P99_MAX:
        checks.append(Check("exposure", False, "图片太暗，文字看不清。请在光线充足处重新拍摄。", found))
    elif p1 > legibility.BRIGHT_P1_MIN:
        message = "图片过亮（曝光过度），文字发白看不清。请避开强光和闪光灯重新拍摄。"
        checks.append(Check("exposure", False, message, found))
    else:
        checks.append(Check("exposure", True, "图片亮度正常。", found))
    return checks


def face_check(faces: list, width: int, height: int) -> Check:
    if not faces:
        return Check("face", False, "证件照中没有检测到人脸。请上传本人正面、免冠、五官清晰的证件照。", "0")
    if len(faces) > 1:
        return Check("face", False, f"证件照中检测到 {len(faces)} 张人脸，只能有本人一人。", str(len(faces)))
    x, y, w, h = faces[0]
    centre_x, centre_y = (x + w / 2) / width, (y + h / 2) / height
    if w / width < FACE_MIN_WIDTH:
        return Check(
            "face",
            False,
            f"人脸太小（约占照片宽度的 {w / width:.0%}，须不少于 {FACE_MIN_WIDTH:.0%}）。请拍摄头肩部位的一寸证件照。",
            "1",
        )
    if abs(centre_x - 0.5) > FACE_CENTRE_TOLERANCE or not 0.2 <= centre_y <= 0.65:
        return Check("face", False, "人脸不在照片中央。请正对镜头、居中拍摄。", "1")
    return Check("face", True, "检测到一张居中的正面人脸。", "1")


def _not_checked(codes: list[str], why: str) -> list[Check]:
    return [Check(code, None, f"未检查：{why}") for code in codes]


def check_objects(attachment, form: dict) -> list[Check]:
    reading = reading_of(attachment)
    if reading is None or attachment.content_type not in IMAGE_TYPES:
        return []
    form = normalize_form(form)
    codes = expected_codes(attachment.kind, form)
    if reading.status == ReadingStatus.PENDING:
        return [Check(code, None, "正在检查…") for code in codes]
    if reading.status == ReadingStatus.FAILED:
        return _not_checked(codes, "读取材料时出错，审核人员会人工核对。")
    text_codes = [c for c in codes if c not in ("sharpness", "exposure", "face")]
    checks: list[Check] = []
    if text_codes:
        if reading.ocr_note:
            checks += _not_checked(text_codes, f"文字识别组件无法加载（{reading.ocr_note}），审核人员会人工核对。")
        else:
            checks += text_checks(attachment.kind, form, attachment.ref, reading.lines)
    checks += _legibility_checks(reading.metrics, photo=attachment.kind == "photo")
    if attachment.kind == "photo":
        if reading.face_note:
            checks += _not_checked(["face"], f"人脸检测组件无法加载（{reading.face_note}）。")
        elif "faces" in reading.metrics:
            checks.append(face_check(reading.metrics["faces"], reading.metrics["width"], reading.metrics["height"]))
    if not checks:
        checks = _not_checked(codes, "识别组件不可用，审核人员会人工核对。")
    return checks


def checks_of(attachment, form: dict) -> list[dict]:
    """API.md's `checks` of one attachment against `form` (the application's current form)."""
    return [c.as_dict() for c in check_objects(attachment, form)]


def recognised_lines(attachment, form: dict) -> list[dict]:
    """The recognised lines for the reviewer, each marked "ok" when it holds a value that matched the
    form, "bad" when it holds what was read instead of it: [{"text", "mark"}]."""
    reading = reading_of(attachment)
    if reading is None or not reading.lines:
        return []
    marks = []
    for check in check_objects(attachment, form):
        if check.needle and check.ok is not None:
            marks.append((check.needle, "ok" if check.ok else "bad"))
    out = []
    for line in reading.lines:
        number, text = normalise_number(line["text"]), normalise_text(line["text"])
        mark = ""
        for needle, kind in marks:
            if needle and (needle in number or needle in text):
                mark = "bad" if kind == "bad" else mark or "ok"
        out.append({"text": line["text"], "mark": mark})
    return out


def warnings_of(application, attachments=None) -> list[dict]:
    """The unresolved warnings of an application's current materials (the submit page lists them)."""
    from registry.applications.services import current_attachments

    attachments = with_readings(attachments if attachments is not None else current_attachments(application))
    out, said = [], set()
    for attachment in attachments:
        for check in check_objects(attachment, application.form):
            # One file that yields no text fails each of its text checks with the same words: once.
            if check.ok is False and (attachment.pk, check.message) not in said:
                said.add((attachment.pk, check.message))
                out.append(
                    {
                        "attachment": attachment,
                        "label": attachment.get_kind_display()
                        + (f"（第 {attachment.ref + 1} 条）" if attachment.ref is not None else ""),
                        "code": check.code,
                        "message": check.message,
                    }
                )
    return out


def pending(attachments) -> bool:
    return any((reading := reading_of(a)) is not None and reading.status == ReadingStatus.PENDING for a in attachments)
