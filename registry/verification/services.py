"""Verification look-ups for exam-registration and title-evaluation systems (API.md "Verification
and providers"): is this person collected here, in good standing, CE-compliant?

A wrong name for a known ID number answers exactly like an unknown ID number (`{"found": false}`),
so the API cannot be used to learn who is registered from ID numbers alone; the ID number is never
echoed. Every query is audited with the calling key (the person's record as target when found)."""

import datetime as dt
import re
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.db import router
from django.utils import timezone

from registry.accounts.services import api_call_audit
from registry.core import compiled
from registry.core.errors import ServiceError
from registry.core.masking import mask_id_number
from registry.core.replica import replica_reads
from registry.records.models import Record, RecordStatus
from registry.records.selectors import CURRENT_QUALIFICATIONS, names_match, with_current_data
from registry.stats import sources
from registry.stats.facts import LEVEL_RANK, _highest

NOT_FOUND = {"found": False}
# 调出中 is still a record in force here until the destination approves.
STATUS = {
    RecordStatus.NORMAL: "normal",
    RecordStatus.TRANSFERRING_OUT: "normal",
    RecordStatus.ABNORMAL: "abnormal",
    RecordStatus.FROZEN: "frozen",
    RecordStatus.TRANSFERRED_OUT: "transferred_out",
}
MAX_YEARS = 10
_RECORD_LABEL = Record._meta.label_lower


@dataclass(frozen=True)
class Query:
    id_number: str
    name: str
    ref: str = ""


def normalize_id(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def check_years(years: list[int]) -> list[int]:
    this_year = timezone.localdate().year
    if len(years) > MAX_YEARS:
        raise ServiceError("too_many_years", f"一次最多查询 {MAX_YEARS} 个年度。", status=400, field="years")
    for i, year in enumerate(years):
        if not 2000 <= year <= this_year + 1:
            raise ServiceError("bad_year", f"年度 {year} 不在可查询范围内。", status=400, field=f"years.{i}")
    return sorted(set(years))


_COLUMNS = ["id", "id_number", "name", "status", "district_id", CURRENT_QUALIFICATIONS]


def _people(id_numbers: list[str], years: list[int], on: dt.date):
    """The records of these ID numbers with their current version's qualifications, each year's
    credit totals and rule, and the integrity ban, as subqueries: ONE query whatever the number of
    people and years."""
    people = with_current_data(
        Record.objects.filter(id_number__in=id_numbers), values={CURRENT_QUALIFICATIONS: "data__qualifications"}
    )
    people = sources.with_restriction(sources.with_credit_years(people, years), on)
    return people.values(*_COLUMNS, *(name for name in people.query.annotations if name not in _COLUMNS))


def _answers(queries: list[Query], years: list[int], on: dt.date) -> tuple[list[dict], list[SimpleNamespace]]:
    wanted = sorted({normalize_id(q.id_number) for q in queries if q.id_number})
    rows = (
        compiled.rows(
            ("verify", tuple(years), on),
            lambda ids: _people(ids, years, on),
            wanted,
            using=router.db_for_read(Record),
            prepare=True,
        )
        if wanted
        else []
    )
    # A namespace, not a model instance: what the sources' readers take (getattr), without the ORM's cost.
    records = {row["id_number"]: SimpleNamespace(**row) for row in rows}
    answers, found = [], []
    for query in queries:
        record = records.get(normalize_id(query.id_number))
        if record is None or not names_match(query.name, record.name):
            answers.append(dict(NOT_FOUND))
            continue
        quals = getattr(record, CURRENT_QUALIFICATIONS)
        answers.append(
            {
                "found": True,
                "status": STATUS.get(record.status, record.status),
                "district": record.district_id,
                "qualification_level": _highest(quals if isinstance(quals, list) else [], "level", LEVEL_RANK) or None,
                "restricted": sources.is_restricted(record),
                "credits": {str(year): sources.credits_of(record, year) for year in years},
            }
        )
        found.append(record)
    return answers, found


@replica_reads
def verify_person(*, client, id_number: str, name: str, years: list[int], ip: str | None = None) -> dict:
    years = check_years(years)
    [answer], found = _answers([Query(id_number, name)], years, timezone.localdate())
    # The call's one audit row: the key check left it to this service (ApiKey endpoint_audits).
    api_call_audit(
        client,
        action="verify.query",
        # the person's record as target (only its label and id are written; no model instance needed)
        target=None,
        target_type=_RECORD_LABEL if found else "",
        target_id=str(found[0].id) if found else "",
        district=found[0].district_id if found else "",
        ip=ip,
        details={
            "id_number": mask_id_number(normalize_id(id_number)),
            "found": answer["found"],
            "years": years,
        },
    )
    return answer


@replica_reads
def verify_batch(*, client, queries: list[Query], years: list[int], ip: str | None = None) -> list[dict]:
    if len(queries) > settings.VERIFY_BATCH_MAX:
        raise ServiceError(
            "batch_too_large", f"一次最多核验 {settings.VERIFY_BATCH_MAX} 人。", status=413, field="people"
        )
    years = check_years(years)
    answers, found = _answers(queries, years, timezone.localdate())
    api_call_audit(
        client,
        action="verify.batch",
        target=None,
        ip=ip,
        details={"queried": len(queries), "found": len(found), "records": [r.id for r in found], "years": years},
    )
    for query, answer in zip(queries, answers, strict=True):
        if query.ref:
            answer["ref"] = query.ref
    return answers
