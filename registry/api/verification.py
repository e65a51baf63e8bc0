"""POST /api/v1/verify and /verify/batch for API clients of scope `verify` (X-Api-Key)."""

from django.http import JsonResponse
from ninja import Field, Router, Schema

from registry.accounts.models import ApiScope
from registry.audit.services import client_ip
from registry.verification.services import Query, verify_batch, verify_person

from .security import ApiKey

router = Router(tags=["核验查询"], auth=ApiKey(ApiScope.VERIFY, endpoint_audits=True))


class VerifyIn(Schema):
    id_number: str = Field(max_length=40)
    name: str = Field(max_length=50)
    years: list[int] = Field(default_factory=list, description="要查询继续教育学分的年度")


class YearCredits(Schema):
    total: float
    compliant: bool


class VerifyOut(Schema):
    found: bool
    status: str | None = Field(
        None, description="normal | abnormal | frozen | transferred_out（found 为 false 时不出现）"
    )
    district: str | None = None
    qualification_level: str | None = Field(None, description="最高专业技术资格级别；无资格为 null")
    restricted: bool | None = Field(None, description="诚信记录中的从业禁止是否在有效期内")
    credits: dict[str, YearCredits | None] | None = Field(
        None, description="每个所查年度的学分；继续教育数据尚未建立时该年度为 null"
    )
    ref: str | None = Field(None, description="批量核验时原样返回调用方的 ref")


class BatchPerson(Schema):
    id_number: str = Field(max_length=40)
    name: str = Field(max_length=50)
    ref: str = Field("", max_length=64, description="调用方自己的编号（如报名号），原样返回；不要填证件号码")


class BatchIn(Schema):
    people: list[BatchPerson] = Field(description="最多 VERIFY_BATCH_MAX（默认 1000）人")
    years: list[int] = Field(default_factory=list)


class BatchOut(Schema):
    results: list[VerifyOut] = Field(description="与 people 顺序一致")


@router.post("/verify", response=VerifyOut, summary="核验一人（身份证号 + 姓名）")
def verify(request, body: VerifyIn):
    """A wrong name for a known ID number answers exactly like an unknown one: `{"found": false}`."""
    answer = verify_person(
        client=request.auth, id_number=body.id_number, name=body.name, years=body.years, ip=client_ip(request)
    )
    return JsonResponse(answer)


TOO_LARGE = {
    413: {
        "description": "超过 VERIFY_BATCH_MAX 人",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
}


@router.post(
    "/verify/batch",
    response=BatchOut,
    summary="批量核验（考试报名系统核验考生名单）",
    openapi_extra={"responses": TOO_LARGE},
)
def verify_many(request, body: BatchIn):
    queries = [Query(p.id_number, p.name, p.ref) for p in body.people]
    answers = verify_batch(client=request.auth, queries=queries, years=body.years, ip=client_ip(request))
    return JsonResponse({"results": answers})
