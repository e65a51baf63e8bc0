#!/usr/bin/env python
"""How strong are the tests of a module? A small mutation tester for the core rule modules.

    .venv/bin/python scripts/mutate.py                        # all modules in MODULES, one after the other
    .venv/bin/python scripts/mutate.py --module states        # one module (repeat --module for more)
    .venv/bin/python scripts/mutate.py --module transfers --limit 20 --show-killed
    .venv/bin/python scripts/mutate.py --list --module access # the mutants only, nothing runs

It changes one thing at a time in the module (a comparison flipped, a guard removed, a filter
argument dropped, a constant changed, a call deleted, a table entry deleted, ...) and runs the tests
that execute the changed line. A test that fails "kills" the mutant; a mutant every test passes
"survives" and shows a rule no test protects. The source file is never written: each run imports the
mutated module through an import hook, in its own pytest process, so runs cannot leak into the tree.

First one traced pytest run of the module's covering tests records which test executes which line
(and how long it takes); then each mutant runs only the tests that execute its lines, fastest first,
stopping at the first failure (-x). Score = killed / (mutants - equivalent). Equivalent mutants (no
test can tell them apart from the original) are listed in EQUIVALENT below with the reason, keyed by
a hash that survives line moves; docs/testing.md explains them.

Runs on demand only (not in CI). SQLite by default, like scripts/test.sh; a run of one module takes
a few minutes on one core. See docs/testing.md.
"""

from __future__ import annotations

import argparse
import ast
import copy
import functools
import hashlib
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST_ARGS = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", "-m", "not browser and not schemathesis"]


@dataclass
class Target:
    path: str  # the module's file, relative to the repository
    tests: list[str]  # the tests that cover it (directories or files); only those that run a line are used per mutant
    equivalent: dict[str, str] = field(default_factory=dict)  # mutant key → why no test can kill it

    @property
    def module(self) -> str:
        return self.path.removesuffix(".py").replace("/", ".")


MODULES: dict[str, Target] = {
    "states": Target(
        "registry/applications/states.py",
        [
            "tests/applications/test_states.py",
            "tests/applications/test_states_mutants.py",
            "tests/review/test_review_api.py",
            "tests/review/test_own_application.py",
            # The buttons and the API's `actions` come from states.available_actions / available_starts
            # and their guards (issue 11): the status × type walk, and the frozen-record start guard.
            "tests/applications/test_actions.py",
            "tests/campaigns/test_campaign.py",
        ],
        {
            "1adfea5d": "move's conditional UPDATE without status=: every status change goes through move and raises "
            "version, so the version check alone tells a stale copy",
        },
    ),
    "access": Target(
        "registry/accounts/access.py",
        [
            "tests/accounts/test_access.py",
            "tests/accounts/test_access_mutants.py",
            "tests/accounts/test_staff_jurisdiction.py",
            "tests/applications/test_draft_privacy.py",
            "tests/review/test_own_application.py",
        ],
    ),
    "validators": Target(
        "registry/core/validators.py",
        [
            "tests/core/test_validators.py",
            "tests/core/test_validators_mutants.py",
            "tests/applications/test_validation.py",
        ],
        {
            "452f9b73": "validate_uscc passes number[:18] instead of [:17] to stdnum's calc_check_digit, which zips the "
            "digits with its 17 weights, so the 18th character is ignored and the check digit is the same",
            "7e3a94d5": "parse_date without its `isinstance(value, dt.date)` shortcut: a date then goes through "
            "str() and date.fromisoformat back to the same date",
            "9af55fdf": "_clean without its ASCII fast path: NFKC and the space/dash removal change nothing in an "
            "ASCII letters-and-digits string, so the slow path gives the same (the fast path is for bulk imports)",
            "145144ce": "_uscc_check_digit's zip(strict=True) → strict=False: both sides always have 17 items",
        },
    ),
    "workdays": Target(
        "registry/core/workdays.py",
        ["tests/core/test_workdays.py", "tests/core/test_workdays_mutants.py"],
        {
            "5467d184": "CalendarDay filter without date__year: every year's exceptions are read into the year's "
            "sets, but a day is looked up by its exact date, so the answer is the same (only slower)",
            "3a667b41": "years_without_calendar reads every CalendarYear instead of those asked for: the answer keeps "
            "only the years asked for, so it is the same (only slower)",
        },
    ),
    "transfers": Target(
        "registry/transfers/services.py",
        [
            "tests/transfers/test_transfers.py",
            "tests/transfers/test_codes_mutants.py",
            "tests/accounts/test_access_mutants.py",  # revoke by a deactivated, stray or own-code reviewer
            "tests/transfers/test_document_code.py",
            "tests/transfers/test_between_deployments.py",
            "tests/transfers/test_review_fixes.py",
            "tests/transfers/test_service_audit.py",  # claim and release audited
        ],
        {
            "649a1f39": "_matching without its guard: on SQLite a NUL or over-long code is simply not found; only "
            "PostgreSQL refuses the comparison (DataError, a 500), and the suite's PostgreSQL pass kills it "
            "(test_an_unknown_code_is_a_404_not_an_error[ZR\\x00]); mutation runs are SQLite-only",
            "b9b035bd": "the same guard with and for or: never true, as above (killed on PostgreSQL only)",
            "a4f4d742": "expires_at < now instead of <= now: differs only in the very microsecond of expiry, "
            "which no test can hit without freezing the clock inside the service",
            "62b030bb": "the claim's conditional UPDATE without revoked_at__isnull: the row read just before is "
            "checked for a revocation, so only a revoke landing between that read and the UPDATE tells; a race "
            "that needs two PostgreSQL connections: killed in the PostgreSQL pass by test_concurrency.py::"
            "test_a_code_revoked_between_the_claims_read_and_its_update_is_not_claimed (mutation runs are SQLite-only)",
            "11e7856e": "code_state's expiry `<=` instead of `<`: differs only in the very microsecond of expiry (as a4f4d742)",
            "7083c456": "document_verify keeps 41 characters of the typed code instead of 40: a code has 16, so a "
            "40-character one is wrong either way",
            "09943c8f": "the per-peer lock in _count_wrong_code deleted: only parallel guesses can tell; killed in the "
            "PostgreSQL pass by test_concurrency.py::test_parallel_wrong_codes_for_one_document_stop_at_the_limit "
            "(checked by hand: more than the limit were checked)",
            "1f0b2c64": "the lock taken on any peer's key row instead of this peer's: tries are still counted one at a "
            "time, only more coarsely (every peer's documents wait on one lock)",
            "ad041b23": "document_claim's record check without `user=applicant`: the account check just before already "
            "refuses any other account holding the ID number, so only a record without an account, left in a "
            "transferring-out status, could tell, and imported records are never in one",
            "46f9723d": "document_export without `person=person`: `visible_to(person)` already gives a person only "
            "their own codes (test_a_person_exports_the_document_of_their_own_valid_code_only tries another's)",
            "dafe8346": "len(code) >= 20 instead of > 20: a code is 16 characters, so a 20-character one is not "
            "found either way, and it fits the column, so PostgreSQL compares it too",
        },
    ),
    "review": Target(
        "registry/review/services.py",
        [
            "tests/review/test_review_api.py",
            "tests/review/test_review_mutants.py",
            "tests/review/test_own_application.py",
            "tests/transfers/test_review_fixes.py",
            # approving a document transfer-in imports its history (_apply_record's record_import_history)
            "tests/transfers/test_document_code.py",
        ],
        {
            "cb64fdee": "application_for_staff without its is_staff_member guard: redundant today, since "
            "staff_applications gives a non-staff user nothing; once the queue is built on filter_visible (which "
            "includes the owner's own) test_an_applicant_does_not_open_even_their_own_application_as_staff kills it",
            "0849b154": "_apply_record's id_number_taken pre-check removed: User.id_number and Record.id_number are "
            "unique, so the same approval fails inside the same transaction with the same Conflict (the IntegrityError "
            "branch); the pre-check only answers before any write",
            "b30536e7": "_apply_record's pre-check with `and` instead of `or`: as 0849b154, the unique columns refuse "
            "the approval in the same transaction with the same Conflict",
            "866179fa": "_role swapped (admins move as reviewers, reviewers as admins): _role only feeds claim, approve "
            "and reject, which states.TRANSITIONS allows to both roles; who may reassign is checked by is_admin",
        },
    ),
    "compiled": Target(
        "registry/core/compiled.py",
        [
            "tests/core/test_compiled.py",
            # instances / together: an application's reads, a record's; statement: the queue
            "tests/applications/test_applicant_answers.py",
            "tests/web/test_applicant_read_pages.py",
            "tests/review/test_queue_rows.py",
            "tests/verification/test_verify.py",  # rows(prepare=True): the verification look-up
        ],
        {
            **dict.fromkeys(
                ["08176d56", "c978159f", "37e24ebf", "5a1ff6da", "40d22d3a", "1a7639e5", "2dc628e1", "395f0e5e"]
                + ["ab42a87e", "f9d16506", "4ae27d1c", "de968ad4", "f12a60f8"],
                "_marker's integer, datetime or date drawn from another range (1,000,000,001 on, below 1e9, year "
                "1112, 1079–1111, 132 years wide, ...): still a valid value of its type that equals no real one, "
                "and a marker that did would only leave the shape uncached",
            ),
            "c0fd6da0": "bind's zip(strict=True) → strict=False: a shape has one position per value (the shape's key "
            "holds the number of values)",
            "6800f2c9": "convert's zip(strict=True) → strict=False: a row has one column per name",
            "c19893e7": "_Shape.run never prepares: on SQLite prepared.execute is cursor.execute; killed in the "
            "PostgreSQL pass by test_compiled.py::test_on_postgresql_reads_by_key_are_prepared_when_asked "
            "(mutation runs are SQLite-only)",
            "6103919c": "together's statements not prepared: PostgreSQL only, killed there as c19893e7 (checked by hand)",
            **dict.fromkeys(
                ["e78646e4", "a3fb93fc", "8666130c", "e6007669", "18960d02", "358df2dd", "5539e532", "e9eae05a"],
                "_instances_together's one execute (its guard or its statements changed): on SQLite every read "
                "falls back to instances() one after another, whatever the guard says (the cursor is no psycopg "
                "ClientCursor); killed in the PostgreSQL pass by test_compiled.py::test_reads_together_answer_like_"
                "each_read_alone_beside_another_person (one query for three reads and for two) or "
                "..._with_a_shape_that_cannot_be_cached_still_answer_right (applied by hand on PostgreSQL after "
                "together replaced instances_together and again after sends_together / execute_together took "
                "the ClientCursor check and the nextset loop; mutation runs are SQLite-only)",
            ),
            "9d018655": "_instances_together without its sends_together check: SQLite never gets past the vendor "
            "check before it; killed in the PostgreSQL pass by test_compiled.py::test_on_postgresql_with_server_"
            "side_binding_reads_together_go_one_by_one (applied by hand)",
            **dict.fromkeys(
                ["65861815", "716b57aa", "bd21582b", "5117fc20", "1e5e8baa"],
                "sends_together's vendor check flipped, execute_together's execute, nextset or fetch changed: "
                "PostgreSQL only (on SQLite the flipped check still answers no, and nothing calls "
                "execute_together); killed in the PostgreSQL pass by test_compiled.py::test_several_statements_"
                "go_in_one_execute_only_on_postgresql_with_client_side_binding, ::test_on_postgresql_statements_"
                "sent_together_each_give_their_own_rows and ::test_reads_together_answer_like_each_read_alone_"
                "beside_another_person (applied by hand; mutation runs are SQLite-only)",
            ),
            "cf3c2fd1": "sends_together without its vendor check: psycopg is a dependency (the import works "
            "anywhere) and a cursor of another database is never a psycopg ClientCursor; the check only spares "
            "the import",
            **dict.fromkeys(
                ["8bbbb5d4", "fdefaff1", "8a5c8fb5"],
                "_instances_together's zip(strict=True) → strict=False (one_by_one's, the statements' loop, the "
                "answers'): one shape per read, made from the reads just above, and execute_together fetches one "
                "list per statement",
            ),
        },
    ),
    "refdata": Target(
        "registry/core/refdata.py",
        [
            "tests/core/test_refdata.py",
            # what the pages ask: names (labels), codes and regions for validation, provinces and counties
            "tests/applications/test_labels.py",
            "tests/applications/test_validation.py",
            "tests/applications/test_web_pages.py",
        ],
        {
            "99946bec": "_read_from asks the cache for its write client instead of a read one: REDIS_URL names one "
            "server, which is both (only a comma-separated LOCATION has read replicas)",
            "c78a1d62": "REFDATA_MAX_AGE's `>` → `>=`: differs only when a copy is exactly 300.0 s old; the net is "
            "'about five minutes' (test_a_copy_older_than_five_minutes_... checks either side of it)",
            "f2bfe229": "the once-a-second stamp check's `>` → `>=`: differs only exactly 1.0 s after the last check "
            "(test_outside_requests_the_stamp_is_compared_at_most_once_a_second checks either side of it)",
            "ccdf6359": "jurisdiction_unit_codes memoised under REGISTRY_JURISDICTION[:3] instead of [:2]: the "
            "jurisdiction is a province code (NN0000), so both tell the same provinces apart",
            "71027010": "full_region_name walks four steps (`seen <= 3`): regions.csv (GB/T 2260) has three levels, "
            "so a fourth step finds no parent (a loop repeats names, which are left out)",
            "49cd3b9c": "the same with `seen < 4`",
        },
    ),
    "identity": Target(
        "registry/accounts/identity.py",
        [
            "tests/accounts/test_identity.py",
            # the web session's user and its idle expiry, the header's unread count (a session column),
            # and the statements each page sends
            "tests/web/test_session_idle.py",
            "tests/notices/test_pages.py",
            "tests/web/test_query_counts.py",
        ],
        {
            "f3c5ece7": "the districts' PostgreSQL branch never taken (json_group_array everywhere): on SQLite that is "
            "the branch taken anyway; on PostgreSQL json_group_array does not exist and every identity statement "
            "fails (checked by hand: all of test_identity.py fails; mutation runs are SQLite-only)",
            "9bc00d9f": "session_with_user's zip(strict=True) → strict=False: the row has one extra column per "
            "registered name, both taken from the same list when the statement is written",
        },
    ),
}

# --- Mutants ---------------------------------------------------------------------------------------

ORM_METHODS = {"filter", "exclude", "get", "update", "create", "get_or_create", "update_or_create", "first"}
SWAP_CMP = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
SWAP_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add}
SKIPPED_FIELDS = {"annotation", "returns", "decorator_list", "type_comment", "args"}


@dataclass
class Site:
    path: tuple  # ((field, index or None), ...) from the module to the node
    kind: str
    arg: int
    scope: str  # qualified name of the enclosing function, or "<module>"
    line: int
    end_line: int
    before: str = ""
    after: str = ""
    key: str = ""

    @property
    def description(self) -> str:
        before = _short(self.before, 60 if self.after.startswith("without ") else 90)
        return f"{self.scope} line {self.line}: {self.kind} `{before}` → `{_short(self.after)}`"


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_docstring(node: ast.AST) -> bool:
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def _children(node: ast.AST, path: tuple) -> Iterator[tuple[ast.AST, tuple]]:
    for name, value in ast.iter_fields(node):
        if name in SKIPPED_FIELDS and not isinstance(node, ast.Call | ast.Lambda):
            continue
        if isinstance(value, list):
            for i, child in enumerate(value):
                if isinstance(child, ast.AST):
                    yield child, path + ((name, i),)
        elif isinstance(value, ast.AST):
            yield value, path + ((name, None),)


def _node_sites(node: ast.AST, in_function: bool) -> Iterator[tuple[str, int]]:
    if isinstance(node, ast.Compare):
        for i, op in enumerate(node.ops):
            if type(op) in SWAP_CMP:
                yield "flip comparison", i
    elif isinstance(node, ast.BoolOp):
        yield "and/or swapped", 0
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        yield "`not` removed", 0
    elif isinstance(node, ast.If) and in_function:
        yield "branch never taken", 0
    elif isinstance(node, ast.IfExp):
        yield "conditional swapped", 0
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ORM_METHODS:
        for i, _ in enumerate(node.keywords):
            yield "query argument dropped", i
    elif isinstance(node, ast.Constant) and type(node.value) is int:
        yield "number changed", 0
    elif isinstance(node, ast.Constant) and type(node.value) is bool:
        yield "boolean flipped", 0
    elif isinstance(node, ast.BinOp | ast.AugAssign) and type(node.op) in SWAP_BIN:
        yield "+/- swapped", 0
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and in_function:
        yield "call deleted", 0
    elif isinstance(node, ast.Dict) and not in_function:
        for i, _ in enumerate(node.keys):
            yield "table entry deleted", i
    elif isinstance(node, ast.Set) and not in_function and len(node.elts) > 1:
        for i, _ in enumerate(node.elts):
            yield "set member deleted", i


def sites(tree: ast.Module) -> list[Site]:
    found: list[Site] = []

    def visit(node: ast.AST, path: tuple, scope: str, in_function: bool) -> None:
        if _is_docstring(node) or isinstance(node, ast.Import | ast.ImportFrom):
            return
        if isinstance(node, ast.ClassDef):
            for i, child in enumerate(node.body):  # only methods: class bodies declare, they do not decide
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    visit(child, path + (("body", i),), f"{node.name}", False)
            return
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not in_function:
            # A method is "Class.method"; a function nested in a function belongs to the outer one's code.
            scope = node.name if scope == "<module>" else f"{scope}.{node.name}"
            in_function = True
        for kind, arg in _node_sites(node, in_function):
            found.append(Site(path, kind, arg, scope, node.lineno, getattr(node, "end_lineno", node.lineno)))
        for child, child_path in _children(node, path):
            visit(child, child_path, scope, in_function)

    for i, statement in enumerate(tree.body):
        visit(statement, (("body", i),), "<module>", False)
    return found


def _get(parent, name, index):
    return getattr(parent, name) if index is None else getattr(parent, name)[index]


def _set(parent, name, index, value) -> None:
    if index is None:
        setattr(parent, name, value)
    else:
        getattr(parent, name)[index] = value


def _mutated(node: ast.AST, kind: str, arg: int) -> ast.AST:
    if kind == "flip comparison":
        node.ops[arg] = SWAP_CMP[type(node.ops[arg])]()
    elif kind == "and/or swapped":
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "`not` removed":
        return node.operand
    elif kind == "branch never taken":
        node.test = ast.Constant(False)
    elif kind == "conditional swapped":
        node.body, node.orelse = node.orelse, node.body
    elif kind == "query argument dropped":
        del node.keywords[arg]
    elif kind == "number changed":
        node.value = node.value + 1
    elif kind == "boolean flipped":
        node.value = not node.value
    elif kind == "+/- swapped":
        node.op = SWAP_BIN[type(node.op)]()
    elif kind == "call deleted":
        return ast.Pass()
    elif kind == "table entry deleted":
        del node.keys[arg], node.values[arg]
    elif kind == "set member deleted":
        del node.elts[arg]
    return node


def mutant_tree(tree: ast.Module, site: Site) -> ast.Module:
    tree = copy.deepcopy(tree)
    parent = tree
    for name, index in site.path[:-1]:
        parent = _get(parent, name, index)
    name, index = site.path[-1]
    _set(parent, name, index, _mutated(_get(parent, name, index), site.kind, site.arg))
    return ast.fix_missing_locations(tree)


def mutants(target: Target) -> tuple[ast.Module, list[Site]]:
    source = (ROOT / target.path).read_text()
    tree = ast.parse(source, filename=target.path)
    found = sites(tree)
    seen: dict[str, int] = {}
    for site in found:
        node = tree
        for name, index in site.path:
            node = _get(node, name, index)
        site.before = ast.unparse(node)
        mutated = mutant_tree(tree, site)
        node = mutated
        for name, index in site.path:
            node = _get(node, name, index)
        site.after = ast.unparse(node) if not isinstance(node, ast.Pass) else "(deleted)"
        original = tree
        for name, index in site.path:
            original = _get(original, name, index)
        if site.kind == "query argument dropped":
            dropped = original.keywords[site.arg]
            site.after = f"without {'**' if dropped.arg is None else dropped.arg + '='}{ast.unparse(dropped.value)}"
        elif site.kind == "table entry deleted":
            site.after = f"without {ast.unparse(original.keys[site.arg])}: {ast.unparse(original.values[site.arg])}"
        elif site.kind == "set member deleted":
            site.after = f"without {ast.unparse(original.elts[site.arg])}"
        raw = f"{site.scope}|{site.kind}|{site.arg}|{site.before}|{site.after}"
        seen[raw] = seen.get(raw, 0) + 1
        site.key = hashlib.sha1(f"{raw}|{seen[raw]}".encode()).hexdigest()[:8]
    return tree, found


# --- The test server: one pytest session, one fork per run -----------------------------------------


def _live_mutation(target: Target, tree: ast.Module, site: Site) -> None:
    """Make the already imported module behave like the mutant: a changed function gets the mutant's
    code object (so every reference to it, `from x import f` included, runs the mutant); a changed
    module-level table is re-assigned in the module."""
    import importlib
    import inspect

    module = importlib.import_module(target.module)
    mutated = mutant_tree(tree, site)
    filename = str(ROOT / target.path)
    if site.scope == "<module>":
        statement = mutated.body[site.path[0][1]]
        exec(compile(ast.Module([statement], []), filename, "exec"), module.__dict__)
        return

    def find(code):
        if code.co_qualname == site.scope:
            return code
        for const in code.co_consts:
            if hasattr(const, "co_qualname") and (hit := find(const)):
                return hit
        return None

    owner, *rest = site.scope.split(".")
    live = getattr(module, owner)
    for part in rest:
        live = vars(live)[part]
    # A (cached) property holds its function: setting __code__ on the property itself would be
    # silently ignored, and the mutant would "survive" without ever running.
    if isinstance(live, functools.cached_property):
        live = live.func
    elif isinstance(live, property):
        live = live.fget
    inspect.unwrap(live).__code__ = find(compile(mutated, filename, "exec"))


class _Server:
    """A pytest plugin that replaces the test loop: the database is set up once, then every run (the
    traced run of all covering tests, then one run per mutant) happens in a fork of this process, so
    no run pays for Django's start or the test database, and none can leak into the next."""

    def __init__(self, names: list[str], args, report, tmp: str):
        self.names, self.args, self.report, self.tmp = names, args, report, tmp

    def _run_items(self, session, items, *, stop_on_failure: bool, before=None) -> bool:
        from _pytest.runner import runtestprotocol

        failed = False
        keep_session = _OnlySession(session)
        for i, item in enumerate(items):
            if before:
                before(item)
            reports = runtestprotocol(item, nextitem=items[i + 1] if i + 1 < len(items) else keep_session, log=False)
            if any(r.failed for r in reports):
                failed = True
                if stop_on_failure:
                    break
        return failed

    def _fork(self, work, timeout: float | None = None) -> tuple[int | None, float]:
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            status = 3
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, 1)
                os.dup2(devnull, 2)
                from django.db import connections

                copy = os.path.join(self.tmp, f"run-{os.getpid()}.sqlite3")
                shutil.copyfile(self.template, copy)
                connections["default"].settings_dict["NAME"] = copy
                status = work()
            finally:
                os._exit(status)
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if not done and timeout and time.monotonic() - started > timeout:
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                done, status = pid, None
            if done:
                for leftover in Path(self.tmp).glob(f"run-{pid}.sqlite3*"):
                    leftover.unlink()
                code = None if status is None else os.waitstatus_to_exitcode(status)
                return code, time.monotonic() - started
            time.sleep(0.02)

    def pytest_runtestloop(self, session):
        items = list(session.items)
        # The test database, once, in this process (a session fixture: the session is "set up" first).
        state = session._setupstate
        state.stack[session] = ([session.teardown], None)
        from django.db import connections

        # A private test database file (the suite's is var/test-registry.sqlite3, which a pytest run
        # beside this one would delete); each run gets its own copy of it (see _fork).
        connections["default"].settings_dict["TEST"]["NAME"] = os.path.join(self.tmp, "template.sqlite3")
        with warnings.catch_warnings():  # pytest asks for fixtures inside a test's setup; this is no test
            warnings.simplefilter("ignore")
            items[0]._request.getfixturevalue("django_db_setup")
        self.template = connections["default"].settings_dict["NAME"]
        connections.close_all()  # no connection crosses a fork; the file is complete (WAL checkpointed)

        targets = [MODULES[n] for n in self.names]
        recorder = _LineRecorder([t.path for t in targets])
        trace_file = tempfile.NamedTemporaryFile(suffix=".json", delete=False).name

        def traced():
            recorder.install()
            failed = self._run_items(session, items, stop_on_failure=False, before=recorder.start)
            sys.settrace(None)
            Path(trace_file).write_text(json.dumps(recorder.result()))
            return 1 if failed else 0

        self.report(f"==> tracing {len(items)} covering tests")
        status, elapsed = self._fork(traced)
        trace_data = json.loads(Path(trace_file).read_text())
        os.unlink(trace_file)
        if status != 0:
            failed = [t for t, outcome in trace_data["outcomes"].items() if outcome == "failed"]
            self.report(f"the covering tests do not pass unmutated: {failed[:10]}")
            session.shouldfail = "covering tests fail"
            return True
        self.report(f"    {elapsed:.0f} s")
        by_id = {item.nodeid: item for item in items}
        durations = trace_data["durations"]

        def transactional(item) -> bool:
            marker = item.get_closest_marker("django_db")
            return bool(marker and marker.kwargs.get("transaction")) or "transactional_db" in item.fixturenames

        def run_one(target: Target, tree: ast.Module, site: Site, tests: list[str]):
            # Fastest first finds a failure sooner; tests that commit (transaction=True, which pytest-django
            # runs last because they empty the database) stay last.
            chosen = [by_id[t] for t in sorted(tests, key=lambda t: (transactional(by_id[t]), durations.get(t, 1.0)))]
            timeout = 20 + 3 * sum(trace_data["durations"].get(t, 1.0) for t in tests)

            def work():
                _live_mutation(target, tree, site)
                return 1 if self._run_items(session, chosen, stop_on_failure=True) else 0

            return self._fork(work, timeout)

        self.results = {name: run_module(name, self.args, trace_data, run_one, self.report) for name in self.names}
        return True


class _OnlySession:
    """A stand-in `nextitem` that tears down everything but the session (the test database)."""

    def __init__(self, session):
        self.session = session

    def listchain(self):
        return [self.session]


class _LineRecorder:
    """Which lines of the target files each test executes, and how long each test takes."""

    def __init__(self, files: list[str]):
        self.files = {str(ROOT / f) for f in files}
        self.test: str | None = None
        self.hits: dict[str, set] = {}
        self.durations: dict[str, float] = {}
        self.started = 0.0

    def _local(self, frame, event, arg):
        if event == "line" and self.test:
            self.hits.setdefault(self.test, set()).add((frame.f_code.co_filename, frame.f_lineno))
        return self._local

    def _global(self, frame, event, arg):
        if frame.f_code.co_filename in self.files:
            return self._local
        return None

    def install(self) -> None:
        sys.settrace(self._global)
        threading.settrace(self._global)

    def start(self, item) -> None:
        if self.test:
            self.durations[self.test] = time.monotonic() - self.started
        self.test, self.started = item.nodeid, time.monotonic()
        self.install()  # a test framework (hypothesis) may have replaced it

    def result(self) -> dict:
        if self.test:
            self.durations[self.test] = time.monotonic() - self.started
        return {
            "durations": self.durations,
            "outcomes": {},
            "hits": {test: sorted(lines) for test, lines in self.hits.items()},
        }


def covering(trace_data: dict, target: Target, site: Site) -> list[str]:
    path = str(ROOT / target.path)
    wanted = set(range(site.line, site.end_line + 1))
    tests = []
    for test, lines in trace_data["hits"].items():
        in_file = {line for file, line in lines if file == path}
        if site.scope == "<module>" and in_file or in_file & wanted:
            tests.append(test)
    return tests


def run_module(name: str, args, trace_data: dict, run_one, report) -> dict:
    target = MODULES[name]
    tree, found = mutants(target)
    chosen = found[: args.limit] if args.limit else found
    counts = {"mutants": len(chosen), "killed": 0, "survived": 0, "equivalent": 0, "not run": 0}
    deadline = time.monotonic() + args.budget
    started = time.monotonic()
    report(f"==> {name}: {target.path}, {len(chosen)} mutants")
    for site in chosen:
        label = f"  [{site.key}] {site.description}"
        if site.key in target.equivalent:
            counts["equivalent"] += 1
            if args.show_killed:
                report(f"{label}\n      equivalent: {target.equivalent[site.key]}")
            continue
        if time.monotonic() > deadline:
            counts["not run"] += 1
            continue
        tests = covering(trace_data, target, site)
        if not tests:
            status, elapsed = 0, 0.0
        else:
            status, elapsed = run_one(target, tree, site, tests)
        done = counts["killed"] + counts["survived"] + 1
        if status == 0:
            counts["survived"] += 1
            why = "no test runs this line" if not tests else f"{len(tests)} tests pass"
            report(f"{label}\n      SURVIVED ({why}, {elapsed:.1f} s)")
        else:
            counts["killed"] += 1
            how = "timeout" if status is None else f"exit {status}"
            if args.show_killed:
                report(f"{label}\n      killed ({how}, {len(tests)} tests, {elapsed:.1f} s)")
            else:  # one short line each, so a long run shows how far it got
                report(f"  {done}/{len(chosen)} [{site.key}] killed ({elapsed:.0f} s)")
    judged = counts["mutants"] - counts["equivalent"] - counts["not run"]
    counts["score"] = round(100 * counts["killed"] / judged, 1) if judged else None
    stale = sorted(set(target.equivalent) - {s.key for s in found})
    if stale and not args.limit:
        report(f"  note: equivalent keys that no longer match a mutant (the code moved on): {', '.join(stale)}")
    report(
        f"    {name}: {counts['killed']} killed, {counts['survived']} survived, {counts['equivalent']} equivalent"
        + (f", {counts['not run']} not run (budget)" if counts["not run"] else "")
        + f" → score {counts['score']} % ({time.monotonic() - started:.0f} s)"
    )
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--module", action="append", choices=sorted(MODULES), help="default: all")
    parser.add_argument("--limit", type=int, default=0, help="only the first N mutants of each module")
    parser.add_argument("--budget", type=int, default=600, help="seconds per module before the rest is not run")
    parser.add_argument("--list", action="store_true", help="list the mutants and run nothing")
    parser.add_argument("--show-killed", action="store_true", help="print every mutant, not only survivors")
    parser.add_argument(
        "--ignore-glob",
        action="append",
        default=[],
        help="leave out test files (e.g. '*_mutants.py': the score without them)",
    )
    args = parser.parse_args()
    names = args.module or list(MODULES)

    if args.list:
        for name in names:
            for site in mutants(MODULES[name])[1][: args.limit or None]:
                note = " (equivalent)" if site.key in MODULES[name].equivalent else ""
                print(f"{name} [{site.key}] {site.description}{note}")
        return 0

    # Every forked run works on its own copy of a SQLite test database made once; PostgreSQL has no
    # such cheap copy, so mutation runs always use SQLite.
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REQUIRE_POSTGRES", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    out = os.fdopen(os.dup(1), "w", buffering=1)  # pytest captures fd 1 while its session runs

    def report(line: str) -> None:
        out.write(line + "\n")

    tests = sorted({t for n in names for t in MODULES[n].tests if (ROOT / t.split("::")[0]).exists()})
    import pytest

    with tempfile.TemporaryDirectory(prefix="mutate-") as tmp:
        server = _Server(names, args, report, tmp)
        ignored = [f"--ignore-glob={pattern}" for pattern in args.ignore_glob]
        pytest.main([*PYTEST_ARGS, *ignored, *tests], plugins=[server])
    results = getattr(server, "results", None)
    if not results:
        return 2
    report("\n| module | file | mutants | killed | survived | equivalent | score |")
    report("|---|---|---:|---:|---:|---:|---:|")
    for name, c in results.items():
        score = "–" if c["score"] is None else f"{c['score']} %"
        report(
            f"| {name} | {MODULES[name].path} | {c['mutants']} | {c['killed']} | {c['survived']} "
            f"| {c['equivalent']} | {score} |"
        )
    return 0 if all(c["survived"] == 0 for c in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
