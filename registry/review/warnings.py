"""Things a reviewer should look at twice, computed for the review page."""

import io

from PIL import Image

from registry.accounts.models import User
from registry.applications.materials import BACKGROUND_NAMES, photo_background
from registry.applications.models import Application, ApplicationCertificate, ApplicationStatus
from registry.core.masking import mask_id_number
from registry.records.models import Record


def review_warnings(application: Application) -> list[dict]:
    warnings = []
    numbers = list(application.certificates.values_list("number", flat=True))
    if numbers:
        clashes = (
            ApplicationCertificate.objects.filter(number__in=numbers)
            .exclude(application__applicant_id=application.applicant_id)
            .exclude(application__status__in=[ApplicationStatus.WITHDRAWN, ApplicationStatus.DRAFT])
            .select_related("application")
        )
        for clash in clashes:
            warnings.append(
                {
                    "code": "certificate_elsewhere",
                    "message": f"证书编号 {clash.number} 也出现在另一人（{clash.application.applicant_name}）的申请中",
                }
            )
    id_number = application.id_number
    if id_number:
        other_account = User.objects.filter(id_number=id_number).exclude(pk=application.applicant_id).exists()
        other_record = Record.objects.filter(id_number=id_number).exclude(user_id=application.applicant_id).exists()
        if other_account or other_record:
            warnings.append(
                {
                    "code": "id_number_elsewhere",
                    "message": f"证件号码 {mask_id_number(id_number)} 已在另一个账号下采集（一人只能有一个账号）",
                }
            )
    photo = application.attachments.current().filter(kind="photo").first()
    if photo is not None:
        try:
            with photo.file.open("rb") as fh:
                background = photo_background(Image.open(io.BytesIO(fh.read())))
        except OSError:
            background = "unreadable"
        name = BACKGROUND_NAMES.get(background, "无法判断")
        warnings.append(
            {
                "code": "photo_check",
                "message": f"证件照：{photo.width}×{photo.height} 像素，{photo.size / 1024:.0f} KB，背景判断为{name}",
                "ok": background in ("white", "blue"),
            }
        )
    return warnings
