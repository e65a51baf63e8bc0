"""Continuing education (API.md "Verification and providers", "Continuing education (the person)"):
the provider push, the person's year, declarations with proof, the transcript PDF; the district's
review of declarations (queue type ce_declaration) and compliance lists."""

import datetime as dt
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from registry.accounts import access
from registry.accounts.models import ApiScope
from registry.applications import storage
from registry.audit.services import client_ip
from registry.core.masking import mask_id_number
from registry.credits import selectors, services
from registry.credits.models import CreditDeclaration
from registry.records.models import Record

from .errors import ApiError
from .security import ApiKey, account_auth

# Credit figures are numbers in JSON (API.md: `"required": 0`), as verify's are; pydantic would
# write a Decimal as a string. Credits have at most one decimal place, which a float prints exactly.
Credits = float

router = Router(tags=["继续教育"])


class ProviderRecordIn(Schema):
    """One completed course. Fields are read leniently: a bad value rejects this record only."""

    external_id: Any = None
    id_number: Any = None
    name: Any = None
    year: Any = None
    course: Any = None
    subject: Any = None
    credits: Any = None
    hours: Any = None
    completed_on: Any = None


class PushIn(Schema):
    records: list[ProviderRecordIn]


class RejectedOut(Schema):
    index: int
    code: str


class PushOut(Schema):
    accepted: int
    duplicates: int
    rejected: list[RejectedOut]


@router.post("/providers/credits", response=PushOut, auth=ApiKey(ApiScope.PROVIDER), summary="培训机构报送学分")
def provider_push(request, payload: PushIn):
    """At most 10,000 records a call (413 above); idempotent by (provider, external_id)."""
    records = [r.model_dump() for r in payload.records]
    return services.credits_push(client=request.auth, records=records, ip=client_ip(request)).as_dict()


# --- The person -------------------------------------------------------------------------------------


class CreditOut(Schema):
    id: str
    source: str
    subject: str
    course: str
    credits: Credits
    completed_on: dt.date | None
    status: str


class YearOut(Schema):
    year: int
    total: Credits
    professional: Credits
    public: Credits
    required: Credits
    required_professional: Credits
    compliant: bool
    missing: Credits
    obliged_from: int | None
    records: list[CreditOut]


def own_record(request) -> Record:
    record = Record.objects.select_related("district").filter(user=request.auth).first()
    if record is None:
        raise ApiError(404, "no_record", "您尚未完成信息采集，采集通过后才有继续教育记录。")
    return record


def _year(year: int | None) -> int:
    year = year or selectors.this_year()
    if not 2000 <= year <= selectors.this_year() + 1:
        raise ApiError(400, "bad_year", "年度无效。", [])
    return year


@router.get("/me/credits", response=YearOut, auth=account_auth, summary="我的继续教育学分（某年度）")
def my_credits(request, year: int | None = None):
    standing = selectors.compliance(own_record(request), _year(year), with_records=True)
    return YearOut(
        year=standing.year, total=standing.total, professional=standing.professional, public=standing.public,
        required=standing.required, required_professional=standing.required_professional,
        compliant=standing.compliant, missing=standing.missing, obliged_from=standing.obliged_from,
        records=[CreditOut(id=str(r.pk), source=r.source, subject=r.subject, course=r.course, credits=r.credits,
                           completed_on=r.completed_on, status=r.status) for r in standing.records],
    )  # fmt: skip


class DeclarationIn(Schema):
    year: int
    kind: str
    details: dict[str, Any] = {}


class ProofOut(Schema):
    id: str
    kind: str
    size: int
    sha256: str
    url: str


class DeclarationOut(Schema):
    id: str
    type: str
    year: int
    kind: str
    details: dict
    credits: Credits
    subject: str
    status: str
    review_status: str
    reasons: list[str]
    comment: str
    proofs: list[ProofOut]
    created_at: dt.datetime


def proof_out(p) -> ProofOut:
    return ProofOut(
        id=str(p.pk), kind=p.KIND, size=p.size, sha256=p.sha256, url=f"/api/v1/credits/proofs/{p.pk}/content"
    )


CREDIT_STATUS = {"submitted": "pending", "in_review": "pending", "approved": "accepted", "rejected": "rejected"}


def declaration_out(d: CreditDeclaration) -> DeclarationOut:
    return DeclarationOut(
        id=str(d.pk), type=d.TYPE, year=d.year, kind=d.kind, details=d.details, credits=d.credits, subject=d.subject,
        status=CREDIT_STATUS[d.status], review_status=d.status, reasons=d.reasons, comment=d.comment,
        proofs=[proof_out(p) for p in d.proofs.all()], created_at=d.created_at,
    )  # fmt: skip


@router.post("/me/credits/declarations", response={201: DeclarationOut}, auth=account_auth, summary="申报学分")
def declare(request, payload: DeclarationIn):
    """Credits are computed from the year's conversion table. Then upload the proof (kind ce_proof)."""
    declaration = services.declaration_submit(
        person=own_record(request), actor=request.auth, year=payload.year, kind=payload.kind,
        details=payload.details, ip=client_ip(request),
    )  # fmt: skip
    return Status(201, declaration_out(declaration))


@router.get("/me/credits/declarations", response=list[DeclarationOut], auth=account_auth, summary="我的学分申报")
def my_declarations(request):
    return [declaration_out(d) for d in selectors.person_declarations(own_record(request))]


def own_declaration(request, declaration_id) -> CreditDeclaration:
    return access.get_or_404(selectors.person_declarations(own_record(request)), pk=declaration_id)


@router.post(
    "/me/credits/declarations/{declaration_id}/attachments",
    response={201: ProofOut},
    auth=account_auth,
    summary="上传学分申报证明材料（kind=ce_proof）",
)
def upload_proof(request, declaration_id: str, kind: Form[str], file: File[UploadedFile]):
    if kind != "ce_proof":
        raise ApiError(400, "unknown_code", "学分申报的证明材料类型为 ce_proof。")
    proof = services.proof_add(declaration=own_declaration(request, declaration_id), actor=request.auth, uploaded=file)
    return Status(201, proof_out(proof))


@router.get(
    "/credits/proofs/{proof_id}/content", auth=account_auth, summary="学分申报证明材料（本人、所属区审核员、管理员）"
)
def proof_content(request, proof_id: str):
    proof = selectors.proof_for_read(request.auth, proof_id)
    stored = services.proof_open(proof=proof, actor=request.auth, ip=client_ip(request))
    extension = proof.file.name.rsplit(".", 1)[-1]
    return storage.delivery_response(
        name=proof.file.name,
        stream=stored,
        content_type=proof.content_type,
        disposition="attachment" if proof.content_type == "application/pdf" else "inline",
        filename=f"ce_proof.{extension}",
    )


@router.get("/me/credits/transcript.pdf", auth=account_auth, summary="继续教育学时证明（PDF）")
def transcript(request, year: int | None = None):
    year = _year(year)
    pdf, issued = services.transcript_issue(person=own_record(request), year=year, actor=request.auth,
                                            ip=client_ip(request))  # fmt: skip
    response = HttpResponse(pdf, content_type="application/pdf")
    filename = quote(f"继续教育学时证明-{year}-{issued.number}.pdf")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
    response["Cache-Control"] = "private, no-store"
    return response


# --- District review of declarations and compliance lists -----------------------------------------


def _staff(request):
    return access.require_staff(request.auth)


class DeclarationQueueItem(Schema):
    id: str
    type: str
    status: str
    district: str
    applicant_name: str
    id_number: str
    year: int
    kind: str
    credits: Credits
    submitted_at: dt.datetime
    claimed_by: str | None


class DeclarationQueueOut(Schema):
    results: list[DeclarationQueueItem]
    next: str | None
    counts: dict[str, int]


def queue_item(d: CreditDeclaration) -> DeclarationQueueItem:
    return DeclarationQueueItem(
        id=str(d.pk), type=d.TYPE, status=d.status, district=d.district_id, applicant_name=d.record.name,
        id_number=mask_id_number(d.record.id_number), year=d.year, kind=d.kind, credits=d.credits,
        submitted_at=d.created_at, claimed_by=(d.claimed_by.name or d.claimed_by.phone) if d.claimed_by else None,
    )  # fmt: skip


@router.get("/review/credit-declarations", response=DeclarationQueueOut, auth=account_auth, summary="学分申报审核队列")
def declaration_queue(
    request, status: str | None = None, district: str | None = None, q: str = "", cursor: str | None = None
):
    try:
        page = selectors.declaration_queue(user=_staff(request), status=status, district=district, q=q, cursor=cursor)
    except selectors.BadCursor:
        raise ApiError(400, "invalid_cursor", "分页游标无效，请从第一页重新开始。") from None
    return {"results": [queue_item(d) for d in page.results], "next": page.next, "counts": page.counts}


def declarations_in_queue(*, user, status, district, q, cursor) -> dict:
    """GET /review/applications?type=ce_declaration: declarations in the shape of the review queue."""
    try:
        page = selectors.declaration_queue(user=user, status=status, district=district, q=q, cursor=cursor)
    except selectors.BadCursor:
        raise ApiError(400, "invalid_cursor", "分页游标无效，请从第一页重新开始。") from None
    results = [{**queue_item(d).model_dump(), "round": 1, "due_on": None, "overdue": False} for d in page.results]
    return {"results": results, "next": page.next, "counts": page.counts}


class DeclarationReviewOut(DeclarationOut):
    applicant_name: str
    id_number: str
    district: str
    standing: dict


def staff_declaration(request, declaration_id) -> CreditDeclaration:
    return access.get_or_404(selectors.staff_declarations(_staff(request)), pk=declaration_id)


@router.get("/review/credit-declarations/{declaration_id}", response=DeclarationReviewOut, auth=account_auth,
            summary="学分申报详情（记入审计日志）")  # fmt: skip
def declaration_detail(request, declaration_id: str):
    declaration = services.declaration_open(actor=request.auth, declaration=staff_declaration(request, declaration_id),
                                            ip=client_ip(request))  # fmt: skip
    standing = selectors.compliance(declaration.record, declaration.year)
    out = declaration_out(declaration).model_dump()
    return DeclarationReviewOut(
        **out, applicant_name=declaration.record.name, id_number=declaration.record.id_number,
        district=declaration.district_id,
        standing={"total": str(standing.total), "professional": str(standing.professional),
                  "required": str(standing.required), "compliant": standing.compliant},
    )  # fmt: skip


class StatusOut(Schema):
    status: str


class DecisionIn(Schema):
    decision: str
    reasons: list[str] = []
    comment: str = ""


@router.post(
    "/review/credit-declarations/{declaration_id}/claim", response=StatusOut, auth=account_auth, summary="受理学分申报"
)
def declaration_claim(request, declaration_id: str):
    declaration = services.declaration_claim(actor=request.auth, declaration=staff_declaration(request, declaration_id),
                                             ip=client_ip(request))  # fmt: skip
    return {"status": declaration.status}


@router.post("/review/credit-declarations/{declaration_id}/decision", response=StatusOut, auth=account_auth,
             summary="学分申报审核决定")  # fmt: skip
def declaration_decision(request, declaration_id: str, payload: DecisionIn):
    declaration = services.declaration_decide(
        actor=request.auth, declaration=staff_declaration(request, declaration_id), decision=payload.decision,
        reasons=payload.reasons, comment=payload.comment, ip=client_ip(request),
    )  # fmt: skip
    return {"status": declaration.status}


class DistrictRateOut(Schema):
    district: str
    obliged: int
    compliant: int
    rate: float | None


class ComplianceOut(Schema):
    year: int
    districts: list[DistrictRateOut]


def _districts_for(user, district: str | None):
    """The districts this staff member may see (None: all, for admins), narrowed to `district`."""
    if access.is_admin(user):
        return [district] if district else None
    codes = access.district_codes(user)
    if district:
        if district not in codes:
            raise ApiError(404, "not_found", "未找到该区，或不属于您负责的区。")
        return [district]
    return sorted(codes)


@router.get("/staff/credits/compliance", response=ComplianceOut, auth=account_auth, summary="继续教育达标率（按区）")
def compliance_by_district(request, year: int, district: str | None = None):
    user = _staff(request)
    rates = selectors.district_compliance(_year(year), _districts_for(user, district))
    return {"year": year, "districts": [DistrictRateOut(district=r.district, obliged=r.obliged, compliant=r.compliant,
                                                        rate=r.rate) for r in rates.values()]}  # fmt: skip


class NoncompliantItem(Schema):
    record_id: str
    name: str
    id_number: str
    district: str
    total: Credits
    professional: Credits


class NoncompliantOut(Schema):
    results: list[NoncompliantItem]
    next: str | None


@router.get("/staff/credits/noncompliant", response=NoncompliantOut, auth=account_auth, summary="未达标人员名单")
def noncompliant(request, year: int, district: str | None = None, cursor: str | None = None):
    """Keyset pages of 100 by record id; reviewers: their districts only. ID numbers masked."""
    user = _staff(request)
    try:
        page = selectors.noncompliant_page(_year(year), _districts_for(user, district), cursor=cursor)
    except selectors.BadCursor:
        raise ApiError(400, "invalid_cursor", "分页游标无效，请从第一页重新开始。") from None
    services.noncompliant_list_read(
        actor=user, year=year, district=district or "", rows=len(page.results), cursor=cursor, ip=client_ip(request)
    )
    return {
        "results": [NoncompliantItem(record_id=str(r.pk), name=r.name, id_number=mask_id_number(r.id_number),
                                     district=r.district_id, total=r.ce_total, professional=r.ce_professional)
                    for r in page.results],
        "next": page.next,
    }  # fmt: skip
