"""Rules shared by every decision that rejects with reasons from a code table: the collection's
review (`rejection_reason`) and credit declarations (`ce_rejection_reason`)."""

from registry.core.errors import ServiceError
from registry.core.models import Code

# “其他原因（见审核意见）”: names no reason by itself, it points at the opinion.
OTHER = "other"


def other_reason_explained_check(*, reasons: list[str], comment: str | None) -> None:
    """Refuse “其他原因（见审核意见）” without an opinion: the person would be told to read an
    opinion that does not exist. Whitespace (also the full-width space) is no opinion."""
    if OTHER in reasons and not (comment or "").strip():
        raise ServiceError(
            "comment_required",
            "选择了“其他原因（见审核意见）”，请在审核意见中写明具体原因。",
            field="comment",
        )


def rejection_reasons_check(*, kind: str, reasons: list[str] | None, comment: str | None) -> None:
    """A rejection names at least one reason, each an active code of `kind`, and explains 其他原因:
    the person is told what to mend from these reasons alone."""
    if not reasons:
        raise ServiceError("reason_required", "不通过时请至少选择一项标准驳回原因。", field="reasons")
    known = set(Code.objects.active().of(kind).values_list("code", flat=True))
    unknown = [r for r in reasons if r not in known]
    if unknown:
        raise ServiceError("unknown_code", f"驳回原因不在代码表中：{', '.join(unknown)}", field="reasons")
    other_reason_explained_check(reasons=reasons, comment=comment)
