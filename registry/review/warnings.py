"""Things a reviewer should look at twice, computed for the review page."""

import io

from PIL import Image

from registry.accounts.models import User
from registry.applications.materials import BACKGROUND_NAMES, photo_background
from registry.applications.models import Application, ApplicationCertificate, ApplicationStatus
from registry.core.masking import mask_id_number
from registry.integrity.selectors import review_warnings_for as integrity_warnings
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
    warnings += integrity_warnings(application.applicant_id)
    warnings += _transfer_and_change_warnings(application)
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


def _transfer_and_change_warnings(application: Application) -> list[dict]:
    from django.utils import timezone

    from registry.applications.validation import late_change
    from registry.core.models import Region

    found = []
    if application.type == "change" and application.submitted_at:
        late = late_change(application.form, on=timezone.localtime(application.submitted_at).date())
        if late:
            found.append(
                {
                    "code": "late_change",
                    "message": f"变更事项发生于 {late[0]:%Y-%m-%d}，应在 {late[1]:%Y-%m-%d} 前办理，"
                    "超过3个月才申请变更（申请人可能在“备注”中说明了原因）",
                }
            )
    if application.type == "transfer_in" and application.transfer_document:
        payload = application.transfer_document["payload"]
        found.append(
            {
                "code": "signed_document",
                "message": f"调转文件签名与调转编号已核验：{payload['issuer']['name']}，原调转编号 {application.origin_reference}",
                "ok": True,
            }
        )
    elif application.type == "transfer_in" and not application.transfer_code:
        origin = Region.objects.filter(code=application.origin_region).first()
        found.append(
            {
                "code": "manual_transfer_check",
                "message": f"无本系统调转编号：请与{origin.name if origin else '原地区'}核对原地调转编号 {application.origin_reference}",
            }
        )
    if application.type == "transfer_out":
        destination = Region.objects.filter(code=application.destination_region).first()
        found.append(
            {
                "code": "transfer_out",
                "message": f"申请调往：{destination.name if destination else application.destination_region}",
                "ok": True,
            }
        )
    return found
