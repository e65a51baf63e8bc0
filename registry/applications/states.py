"""The one place that answers "what may this person do with this application now?".

Three layers, consulted in this order by `available_actions` (what the pages and the API offer)
and by `check` / `move` (what the services accept), so a button is shown exactly when its request
would pass the state rules:

1. The table. `TRANSITIONS` says which action moves which status to which, and for which roles;
   `STAYS` lists actions that do not change the status (editing the form, revoking a transfer code).
2. The role. `roles_of(application, user)` derives it from `access`: the owner is the applicant;
   a reviewer of the application's district is a reviewer; a municipal admin is an admin — never on
   their own application (`access.refuse_own`, decisions/0006), where they are only the applicant.
3. The guards. A guard is a function `(application, user) -> Refusal | None` registered for some
   actions with `@guard("submit", "edit")`. Built in: the claimed-by rule (only the claimer, or an
   admin, decides), "a transfer out is never edited or resubmitted (withdraw it instead)",
   "revoke_code needs an issued, unused transfer code".

Plugging in
-----------
- A new application type (e.g. `ce_declaration`): add it to `ApplicationType`. It gets the whole
  table by default. Whatever never applies to it goes into a guard — e.g.
  `@guard("edit", "submit")` returning `Refusal(...)` when `application.type == ...`.
- A new rule that blocks actions (e.g. a frozen record during a campaign): register a guard for
  the actions it blocks; for the record page's "start" buttons (change, transfer out, …) register a
  `@start_guard("change", "transfer_out")` with signature `(user, record) -> Refusal | None`.
  Services refuse through the same guard (`check` / `check_start` raise its code and message), so
  nothing else needs to know about it.
- A new action: add its table row (`TRANSITIONS` if it moves the status, else `STAYS`), the service
  calls `states.move` (or `states.check`), and the page renders its button under
  `{% if "action" in actions %}` with `data-action="action"` (tests/applications/test_actions.py walks
  every status × type × role and checks each page shows exactly `available_actions`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from registry.accounts import access
from registry.core.errors import Conflict

from . import counts
from .models import Application, ApplicationType
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

# Actions that leave the status as it is: who may take them, in which status.
STAYS: dict[tuple[str, str], frozenset[str]] = {
    (S.DRAFT, "edit"): frozenset({APPLICANT}),  # the form and its materials
    (S.REJECTED, "edit"): frozenset({APPLICANT}),
    (S.APPROVED, "revoke_code"): frozenset({REVIEWER, ADMIN}),  # an approved transfer out's code
}

ACTIONS = sorted({action for _, action in TRANSITIONS} | {action for _, action in STAYS})

MESSAGES = {
    "submit": "当前状态不能提交",
    "withdraw": "审核员已受理，不能撤回；如需修改请等待审核结果",
    "claim": "该申请已被其他审核员受理",
    "release": "该申请不在审核中",
    "reassign": "该申请已经作出审核决定",
    "approve": "该申请已经作出审核决定",
    "reject": "该申请已经作出审核决定",
    "edit": "申请已提交，审核结果出来前不能修改；如需修改，请在审核员受理前撤回",
}
CONFLICT_CODES = {
    "claim": "already_claimed",
    "approve": "already_decided",
    "reject": "already_decided",
    "reassign": "already_decided",
    "edit": "not_editable",
}


@dataclass(frozen=True)
class Refusal:
    """Why a guard refuses: the stable error code and the message shown to the person."""

    code: str
    message: str


Guard = Callable[[Application, object], Refusal | None]
GUARDS: dict[str, list[Guard]] = {}


def guard(*actions: str):
    """Register `fn(application, user) -> Refusal | None` for these actions. `user` may be None when
    a service moves without naming the actor; a guard about the user then lets it pass."""

    def register(fn: Guard) -> Guard:
        for action in actions:
            GUARDS.setdefault(action, []).append(fn)
        return fn

    return register


def roles_of(application: Application, user) -> frozenset[str]:
    """The roles `user` holds on this application (at most one)."""
    if not access.is_active_user(user):
        return frozenset()
    if access.is_own(user, application.applicant_id):
        return frozenset({APPLICANT})  # staff never act as staff on their own case
    if not access.can_act_for_district(user, application.district_id):
        return frozenset()
    return frozenset({ADMIN if access.is_admin(user) else REVIEWER})


def allowed(status: str, action: str, role: str) -> bool:
    """The table alone: may `role` take `action` in `status`?"""
    move = TRANSITIONS.get((status, action))
    if move is not None:
        return role in move.roles
    return role in STAYS.get((status, action), frozenset())


def refusal(application: Application, action: str, user) -> Refusal | None:
    """The first guard of `action` that refuses, or None."""
    for check_one in GUARDS.get(action, []):
        refused = check_one(application, user)
        if refused is not None:
            return refused
    return None


def available_actions(application: Application, user) -> set[str]:
    """Everything `user` may do with `application` now: what every button and the API's `actions` show."""
    roles = roles_of(application, user)
    return {
        action
        for action in ACTIONS
        if any(allowed(application.status, action, role) for role in roles)
        and refusal(application, action, user) is None
    }


def _state_conflict(action: str) -> Conflict:
    return Conflict(CONFLICT_CODES.get(action, "invalid_transition"), MESSAGES.get(action, "当前状态不允许此操作"))


def check(application: Application, action: str, role: str, *, actor=None) -> None:
    """Raise the Conflict a service answers when `role` may not take `action` now (table, then guards)."""
    if not allowed(application.status, action, role):
        raise _state_conflict(action)
    refused = refusal(application, action, actor)
    if refused is not None:
        raise Conflict(refused.code, refused.message)


def move(application: Application, action: str, role: str, *, actor=None, **fields) -> Application:
    """Apply a transition with a conditional UPDATE, so two concurrent moves cannot both succeed."""
    transition = TRANSITIONS.get((application.status, action))
    if transition is None or role not in transition.roles:
        raise _state_conflict(action)
    check(application, action, role, actor=actor)
    # The row as loaded: the conditional UPDATE below only succeeds if it still is (every write bumps the version).
    before = counts.key_of(application)
    with transaction.atomic(savepoint=False):  # the move and the queue's counts commit together or not at all
        updated = Application.objects.filter(
            pk=application.pk, status=application.status, version=application.version
        ).update(status=transition.to, version=F("version") + 1, updated_at=timezone.now(), **fields)
        if updated:
            application.refresh_from_db()
            counts.moved(before, counts.key_of(application))
    if not updated:
        raise Conflict(CONFLICT_CODES.get(action, "stale_application"), "申请已被他人修改，请刷新后重试")
    return application


# --- Built-in guards ---------------------------------------------------------------------------


@guard("approve", "reject")
def _claimed_by_the_decider(application: Application, user) -> Refusal | None:
    """Only the reviewer who claimed it decides (an admin may decide any)."""
    if user is None or access.is_admin(user) or application.claimed_by_id == user.pk:
        return None
    return Refusal("claimed_by_other", "该申请已由其他审核员受理。")


@guard("edit", "submit")
def _transfer_out_is_never_resubmitted(application: Application, user) -> Refusal | None:
    """A transfer out carries the approved record as it is: rejected, it is withdrawn and asked again."""
    if application.type == ApplicationType.TRANSFER_OUT:
        return Refusal("invalid_transition", "调出申请被驳回后请撤回，再重新申请调出。")
    return None


@guard("revoke_code")
def _revocable_code(application: Application, user) -> Refusal | None:
    """Only an approved transfer out has a code, and only an unused, unrevoked one can be revoked."""
    if application.type != ApplicationType.TRANSFER_OUT:
        return Refusal("invalid_transition", "只有调出申请有调转编号。")
    from registry.transfers.selectors import code_of_transfer_out

    code = code_of_transfer_out(application)
    if code is None or code.used_at or code.revoked_at:
        return Refusal("transfer_code_not_revocable", "该调转编号已使用或已撤销，不能撤销。")
    return None


# --- Starting a new application (the record page's buttons) ------------------------------------

StartGuard = Callable[[object, object], Refusal | None]
START_GUARDS: dict[str, list[StartGuard]] = {}
STARTS = [
    ApplicationType.FIRST_COLLECTION,
    ApplicationType.CHANGE,
    ApplicationType.TRANSFER_IN,
    ApplicationType.TRANSFER_OUT,
]


def start_guard(*types: str):
    """Register `fn(user, record) -> Refusal | None` for starting these application types."""

    def register(fn: StartGuard) -> StartGuard:
        for type_ in types:
            START_GUARDS.setdefault(type_, []).append(fn)
        return fn

    return register


def start_refusal(user, type_: str, record) -> Refusal | None:
    for check_one in START_GUARDS.get(type_, []):
        refused = check_one(user, record)
        if refused is not None:
            return refused
    return None


def check_start(user, type_: str, record) -> None:
    """Raise the Conflict a service answers when `user` may not start an application of `type_`."""
    refused = start_refusal(user, type_, record)
    if refused is not None:
        raise Conflict(refused.code, refused.message)


def available_starts(user, *, record, open_application: Application | None) -> set[str]:
    """The application types `user` may start now (nothing while another application is open)."""
    if not access.is_active_user(user) or open_application is not None:
        return set()
    return {type_ for type_ in STARTS if start_refusal(user, type_, record) is None}


@start_guard(*STARTS)  # first: a frozen record is answered as frozen, not as "not normal"
def _not_frozen(user, record) -> Refusal | None:
    """A record frozen by a verification campaign opens no application until the person answers
    the campaign (on the home page), which lifts the mark (API.md: 409 `record_frozen`)."""
    from registry.records.models import RecordStatus

    if record is not None and record.status == RecordStatus.FROZEN:
        return Refusal(
            "record_frozen",
            "您的信息因未按期答复集中核查已被冻结，暂不能办理其他业务。请先在首页“待办事项”中完成核查确认，解除冻结后再办理。",
        )
    return None


@start_guard(ApplicationType.FIRST_COLLECTION)
def _not_collected_yet(user, record) -> Refusal | None:
    if record is not None:
        return Refusal("already_collected", "您已完成信息采集，信息有变化请办理“信息变更”。")
    return None


def _record_allows(what: str, no_record: str, allows: Callable[[object], bool]) -> StartGuard:
    def check_record(user, record) -> Refusal | None:
        if record is None:
            return Refusal("no_record", no_record)
        if not allows(record):
            return Refusal("record_not_normal", f"您的信息当前状态为“{record.get_status_display()}”，不能办理{what}。")
        return None

    return check_record


def _may_change(record) -> bool:
    """正常, or 异常: a campaign's mark, and filing a change is one way to answer the campaign
    (PRODUCT.md: answering late clears it). 冻结 is refused before this (_not_frozen)."""
    from registry.records.models import RecordStatus

    return record.status in (RecordStatus.NORMAL, RecordStatus.ABNORMAL)


def _may_transfer_out(record) -> bool:
    """正常, or 调出中 whose codes all expired unused: the person asks again and gets a new code
    (the old code's refusal at the destination tells them to)."""
    from registry.records.models import RecordStatus

    if record.status == RecordStatus.NORMAL:
        return True
    if record.status != RecordStatus.TRANSFERRING_OUT:
        return False
    live = Q(used_at__isnull=False) | Q(expires_at__gt=timezone.now())
    return not record.transfer_codes.filter(live, revoked_at__isnull=True).exists()


start_guard(ApplicationType.CHANGE)(
    _record_allows("信息变更", "您尚未完成信息采集，请先办理“首次采集”或“调入”。", _may_change)
)
start_guard(ApplicationType.TRANSFER_OUT)(
    _record_allows("调出", "您尚未完成信息采集，无需办理调出。", _may_transfer_out)
)


@start_guard(ApplicationType.TRANSFER_IN)
def _not_collected_here(user, record) -> Refusal | None:
    """Coming back to this city after a transfer out is a transfer in; anyone collected here is not."""
    from registry.records.models import RecordStatus

    if record is not None and record.status not in (RecordStatus.TRANSFERRING_OUT, RecordStatus.TRANSFERRED_OUT):
        return Refusal("already_collected", "您已在本系统采集，如从外省调回请使用调转编号。")
    return None
