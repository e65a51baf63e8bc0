"""Rules shared by every decision that rejects with reasons from the code table `rejection_reason`."""

from registry.core.errors import ServiceError

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
