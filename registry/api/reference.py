"""Public reference data: the region tree and code tables the forms use."""

from django.shortcuts import get_object_or_404
from ninja import Router, Schema

from registry.core.models import Code, CodeKind, Region

from .errors import ApiError

router = Router(tags=["代码表"])


class RegionOut(Schema):
    code: str
    name: str
    level: str
    parent: str | None
    current: bool
    reviewing_unit: bool
    bureau_name: str
    contact_phone: str
    contact_address: str


class RegionList(Schema):
    results: list[RegionOut]
    next: str | None = None


class CodeOut(Schema):
    code: str
    name: str
    extra: dict


class CodeList(Schema):
    results: list[CodeOut]
    next: str | None = None


def _region_out(region: Region) -> RegionOut:
    return RegionOut(
        code=region.code,
        name=region.name,
        level=region.level,
        parent=region.parent_id,
        current=region.is_current,
        reviewing_unit=region.is_reviewing_unit,
        bureau_name=region.bureau_name,
        contact_phone=region.contact_phone,
        contact_address=region.contact_address,
    )


@router.get("/regions", response=RegionList, summary="行政区划（某级的下级，或某省的审核单位）")
def regions(request, parent: str | None = None, reviewing_in: str | None = None, include_retired: bool = False):
    """Without parameters: the provinces. `parent=110000`: its children. `reviewing_in=110000`: the
    districts and management units of that province that review applications.
    Retired codes only on request."""
    if reviewing_in:
        get_object_or_404(Region, code=reviewing_in, level="province")
        queryset = Region.objects.reviewing_units().in_province(reviewing_in)
    elif parent:
        get_object_or_404(Region, code=parent)
        queryset = Region.objects.filter(parent_id=parent)
    else:
        queryset = Region.objects.filter(level="province")
    if not include_retired:
        queryset = queryset.current()
    return {"results": [_region_out(r) for r in queryset.order_by("sort_order")]}


@router.get("/regions/{code}", response=RegionOut, summary="单个行政区划")
def region_detail(request, code: str):
    return _region_out(get_object_or_404(Region, code=code))


@router.get("/codes/{kind}", response=CodeList, summary="代码表")
def codes(request, kind: str):
    if kind not in CodeKind.values:
        raise ApiError(404, "unknown_code_table", f"没有名为“{kind}”的代码表。可用：{', '.join(CodeKind.values)}")
    entries = Code.objects.active().of(kind).order_by("sort_order", "code")
    return {"results": [CodeOut(code=c.code, name=c.name, extra=c.extra) for c in entries]}
