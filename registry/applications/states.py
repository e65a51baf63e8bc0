"""The one place that says which status may follow which, and who may make the move."""

from dataclasses import dataclass

from django.db.models import F
from django.utils import timezone

from registry.core.errors import Conflict

from .models import Application
from .models import ApplicationStatus as S

APPLICANT, REVIEWER, ADMIN = "applicant", "reviewer", "admin"


@dataclass(frozen=True)
class Move:
    to: str
    roles: frozenset[str]


TRANSITIONS: dict[tuple[str, str], Move] = {
    (S.DRAFT, "submit"): Move(S.SUBMITTED, frozenset({APPLICANT})),
    (S.REJECTED, "submit"): Move(S.SUBMITTED, frozenset({APPLICANT})),
    (S.DRAFT, "withdraw"): Move(S.WITHDRAWN, frozenset({APPLICANT})),
    (S.SUBMITTED, "withdraw"): Move(S.WITHDRAWN, frozenset({APPLICANT})),
    (S.REJECTED, "withdraw"): Move(S.WITHDRAWN, frozenset({APPLICANT})),
    (S.SUBMITTED, "reassign"): Move(S.IN_REVIEW, frozenset({ADMIN})),
    (S.IN_REVIEW, "reassign"): Move(S.IN_REVIEW, frozenset({ADMIN})),
    (S.SUBMITTED, "claim"): Move(S.IN_REVIEW, frozenset({REVIEWER, ADMIN})),
    (S.IN_REVIEW, "release"): Move(S.SUBMITTED, frozenset({ADMIN})),
    (S.IN_REVIEW, "approve"): Move(S.APPROVED, frozenset({REVIEWER, ADMIN})),
    (S.IN_REVIEW, "reject"): Move(S.REJECTED, frozenset({REVIEWER, ADMIN})),
}

MESSAGES = {
    "submit": "当前状态不能提交",
    "withdraw": "审核员已受理，不能撤回；如需修改请等待审核结果",
    "claim": "该申请已被其他审核员受理",
    "release": "该申请不在审核中",
    "reassign": "该申请已经作出审核决定",
    "approve": "该申请已经作出审核决定",
    "reject": "该申请已经作出审核决定",
}
CONFLICT_CODES = {
    "claim": "already_claimed",
    "approve": "already_decided",
    "reject": "already_decided",
    "reassign": "already_decided",
}


def allowed(status: str, action: str, role: str) -> bool:
    move = TRANSITIONS.get((status, action))
    return move is not None and role in move.roles


def move(application: Application, action: str, role: str, **fields) -> Application:
    """Apply a transition with a conditional UPDATE, so two concurrent moves cannot both succeed."""
    transition = TRANSITIONS.get((application.status, action))
    if transition is None or role not in transition.roles:
        raise Conflict(CONFLICT_CODES.get(action, "invalid_transition"), MESSAGES.get(action, "当前状态不允许此操作"))
    updated = Application.objects.filter(
        pk=application.pk, status=application.status, version=application.version
    ).update(status=transition.to, version=F("version") + 1, updated_at=timezone.now(), **fields)
    if not updated:
        raise Conflict(CONFLICT_CODES.get(action, "stale_application"), "申请已被他人修改，请刷新后重试")
    application.refresh_from_db()
    return application
