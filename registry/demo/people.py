"""Generated people for demos and benchmarks: realistic, checksum-valid, with the history a running
system accumulates, bulk-inserted.

`seed_people(n)` makes sure n generated people exist (idempotent: a second run adds nothing).
About 90% are collected: each has the approved 首次采集 (or, for 3%, 调入 from another province)
with its rounds (8% rejected once first), timeline and certificates, the record and its versions,
a credit obligation, and for some an approved 信息变更 (a fifth of them to another district: a
move), an approved 调出 with its transfer code (record 调出中), a 信息变更 waiting for review, and
provider credits for last year and this year (`credit_share`). The rest wait in the review queue
with a first collection (15% of them resubmitted after a rejection). Decisions are the demo
朝阳区 reviewer's in 110105 and the demo admin's elsewhere.

All generated accounts share one password hash (DEMO_PASSWORD, hashed once): demo data only,
refused in production like the rest of seed_demo.
"""

import datetime as dt
import functools
import json
import multiprocessing
import os
import random
import uuid
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from itertools import islice

from django.conf import settings
from django.db import connection
from django.utils import timezone

from registry.accounts.models import User
from registry.applications.models import Application, ApplicationCertificate, ApplicationRound
from registry.applications.services import due_on_for
from registry.core import generators
from registry.credits.selectors import obliged_from_data
from registry.records.models import Record, RecordVersion

from .bulk import Batch, Table, analyze, reserve_ids, write, write_copy_text

PHONE_PREFIX = "170"  # generated people only; real numbers in this range are virtual-operator numbers
BEIJING_UNITS = generators.BEIJING_DISTRICTS + ["11YS00", "11KF00"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱覃武戴孔汤庞樊兰殷施陶洪翟安颜倪严牛温芦季俞章鲁葛伍申尤毕聂柴焦向柳邢岳齐梅莫庄辛管祝左涂谷祁时舒耿牟卜路詹关苗凌费纪靳盛童欧甄项曲成游阳裴席卫查屈鲍位覃霍翁隋植甘景薄单包司柏宁柯阮桂闵欧阳解强丛华车冉房边辜吉饶刁瞿戚丘古米池滕晋苑邬臧畅宫来嵺苟全褚廉简娄盖符奚木穆党燕郎邸冀谈姬屠连郜晏栾郁商蒙计喻揭窦迟宇敖糜鄢冷卓花艾蓝都巩稽井练仲乐虞卞封竺冼原官衣楚佟栗匡宗应台巫鞠僧桑荆谌银扬明沙薄伏岑习胥保和蔺"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英玉兰萍毅浩宇轩子涵欣怡梓睿思雨晨博文嘉琪佳颖俊杰雪梅丹丹鹏飞建华志强海燕立新春梅晓东红霞国庆"
UNIT_WORDS = [
    "华信",
    "中润",
    "京诚",
    "盛达",
    "恒通",
    "瑞丰",
    "永安",
    "博远",
    "同创",
    "汇金",
    "鼎盛",
    "天元",
    "长青",
    "正和",
]
UNIT_KINDS = [
    ("enterprise", "有限公司", 0.78),
    ("institution", "中心", 0.1),
    ("government", "局", 0.05),
    ("social_group", "协会", 0.04),
    ("other", "事务所", 0.03),
]
LEVELS = [("junior", 0.45), ("intermediate", 0.3), ("senior", 0.08), ("professor", 0.01), ("", 0.16)]
EDUCATION = [("bachelor", 0.5), ("college", 0.28), ("master", 0.14), ("secondary", 0.06), ("doctorate", 0.02)]


def _pick(rng: random.Random, weighted):
    roll, total = rng.random(), 0.0
    for item in weighted:
        total += item[-1]
        if roll <= total:
            return item
    return weighted[-1]


ID_WEIGHTS = [2 ** (17 - k) % 11 for k in range(17)]
UNITS_PER_DISTRICT = 400


def _id_check(body: str) -> str:
    """GB 11643 check character (ISO 7064 MOD 11-2), as stdnum.cn.ric computes it, without its overhead."""
    total = sum(int(c) * w for c, w in zip(body, ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


@functools.cache
def _units() -> dict[str, list[tuple[str, str, str]]]:
    """Employers per district, (name, USCC, unit type): people share units, as colleagues do, and
    the check characters are computed once per unit instead of once per person."""
    rng = random.Random(7)
    units = {}
    for district in BEIJING_UNITS:
        region = district if district[2:3].isdigit() else "110115"
        units[district] = []
        for _ in range(UNITS_PER_DISTRICT):
            unit_type, suffix, _ = _pick(rng, UNIT_KINDS)
            name = f"北京{rng.choice(UNIT_WORDS)}{rng.choice(UNIT_WORDS)}{suffix}"
            units[district].append((name, generators.uscc(rng, unit_type=unit_type, region_code=region), unit_type))
    return units


def _person(i: int, rng: random.Random, today: dt.date) -> dict:
    """Person i (deterministic in i and the batch's random stream). Called a million times by the
    big seed: random() with indexing instead of choice(), employers from a pool."""
    r = rng.random
    district = BEIJING_UNITS[i % len(BEIJING_UNITS)]
    id_region = generators.BEIJING_DISTRICTS[(i // 1000) % 16]
    seq = i % 1000
    # Born 1962–1991, spread over the whole range even in a small seed (the age-band chart). Unique
    # ID numbers: for a given district code and sequence number, each block of 16,000 people gets its
    # own day (173 is prime to 10,950).
    birth = dt.date(1962, 1, 1) + dt.timedelta(days=((i // 16000) * 173 + seq * 37) % 10950)
    gender = "M" if seq % 2 else "F"
    body = f"{id_region}{birth:%Y%m%d}{seq:03d}"
    id_number = body + _id_check(body)
    name = SURNAMES[int(r() * len(SURNAMES))] + GIVEN[int(r() * len(GIVEN))]
    if r() < 0.5:
        name += GIVEN[int(r() * len(GIVEN))]
    unit_name, unit_uscc, unit_type = _units()[district][int(r() * UNITS_PER_DISTRICT)]
    level = _pick(rng, LEVELS)[0]
    education = _pick(rng, EDUCATION)[0]
    graduated = dt.date(birth.year + 22, 7, 1)
    started = graduated + dt.timedelta(days=30 + int(r() * 370))
    qualifications = []
    if level:
        obtained = min(today - dt.timedelta(days=30), started + dt.timedelta(days=365 * (1 + int(r() * 11))))
        qualifications.append(
            {
                "series": "accounting",
                "level": level,
                "obtained_by": "exam" if level in ("junior", "intermediate") else "exam_and_review",
                "obtained_on": obtained.isoformat(),
                "certificate_number": f"{level[0].upper()}{district}{i:09d}",
                "authority": "财政部、人力资源社会保障部",
            }
        )
    form = {
        "category": 1,
        "basic": {
            "name": name,
            "gender": gender,
            "id_type": "resident_id",
            "id_number": id_number,
            "birth_date": birth.isoformat(),
            "ethnicity": "01" if r() < 0.93 else f"{2 + int(r() * 55):02d}",
            "political_status": POLITICAL[int(r() * 5)],
            "phone": f"{PHONE_PREFIX}{i:08d}",
            "email": "",
            "hukou_region": id_region,
            "residence_address": f"北京市{1 + int(r() * 299)}号",
            "residence_district": district,
            "local_social_insurance": True,
        },
        "education": [
            {
                "level": education,
                "school": "北京示例大学",
                "major": "会计学",
                "start_date": f"{graduated.year - 4}-09-01",
                "graduation_date": graduated.isoformat(),
                "diploma_number": f"1000{i:010d}",
                "degree": "",
                "degree_number": "",
                "overseas": False,
                "overseas_cert_number": "",
            }
        ],
        "qualifications": qualifications,
        "practicing": [],
        "employment": {
            "status": "employed",
            "unit_name": unit_name,
            "unit_uscc": unit_uscc,
            "unit_type": unit_type,
            "unit_district": district,
            "department": "财务部",
            "position": POSITIONS[int(r() * 5)],
            "accounting_since": started.isoformat(),
            "doing_accounting": True,
        },
        "work_history": [],
        "other": {"party_member": False, "titles": "", "honors": "", "remarks": ""},
    }
    return {"district": district, "name": name, "id_number": id_number, "form": form}


POLITICAL = ["13", "13", "13", "01", "03"]
POSITIONS = ["accountant", "accountant", "cashier", "supervisor", "head"]


# History shares among the collected people (the rest of each count is the plain case).
TRANSFERRED_IN = 0.03  # collected through 调入 from another province instead of 首次采集
FIRST_REJECTED = 0.08  # first round rejected, approved on the second
CHANGED = 0.1  # one approved 信息变更 after collection (a fifth of them to another district)
MOVED = 0.2
TRANSFERRING_OUT = 0.01  # an approved 调出: transfer code issued, record 调出中
WAITING_CHANGE = 0.015  # a 信息变更 waiting in the queue
WAITING_RESUBMITTED = 0.15  # of the waiting first collections: rejected once, resubmitted
OTHER_PROVINCES = ["130000", "120000", "370000", "410000", "210000", "230000", "510000", "420000"]
DEMO_PASSWORD = "Kuaiji2026"  # generated people log in with their phone and this (demo only)
COURSES = {
    "professional": ["企业会计准则解读", "管理会计实务", "税收政策与纳税筹划", "内部控制与风险管理", "政府会计制度"],
    "public": ["职业道德与诚信建设", "数字经济与财务数字化", "法治素养提升"],
}
CREDIT_PROVIDER = "演示培训机构"  # the provider name of registry/credits/demo.py: one demo provider
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


class _Tables:
    def __init__(self):
        from registry.applications.models import ApplicationEvent
        from registry.credits.models import CreditObligation, CreditRecord
        from registry.records.models import RecordMove
        from registry.transfers.models import TransferCode

        self.user = Table(User, with_pk=True)
        self.record = Table(Record, with_pk=True)
        self.version = Table(RecordVersion, with_pk=False)
        self.move = Table(RecordMove, with_pk=False)
        self.application = Table(Application, with_pk=True)
        self.round = Table(ApplicationRound, with_pk=False)
        self.event = Table(ApplicationEvent, with_pk=False)
        self.certificate = Table(ApplicationCertificate, with_pk=False)
        self.code = Table(TransferCode, with_pk=False)
        self.credit = Table(CreditRecord, with_pk=False)
        self.obligation = Table(CreditObligation, with_pk=True)

    def batch(self) -> Batch:
        return Batch([self.user, self.record, self.version, self.move, self.application, self.round, self.event,
                      self.certificate, self.code, self.credit, self.obligation])  # fmt: skip


class _History:
    """Writes one person's history as rows: applications with their rounds and timeline, the
    record and its versions, moves, transfer codes and credits, as the services would have."""

    def __init__(self, *, now: dt.datetime, credit_share: float, history: bool, open_share: float, seed: int):
        from django.contrib.auth.hashers import make_password

        from registry.core.models import Code

        self.t = _Tables()
        self.now = now
        self.history = history
        self.credit_share = credit_share
        self.tz = timezone.get_current_timezone()
        self.today = timezone.localdate(now)
        self.this_year = self.today.year
        self.password = make_password(DEMO_PASSWORD)  # once: Argon2 per person would take hours
        self.reasons = list(Code.objects.of("rejection_reason").values_list("code", flat=True)) or ["other"]
        staff = dict(User.objects.filter(phone__in=["13800000002", "13800000003"]).values_list("phone", "pk"))
        # Decisions by the demo 朝阳区 reviewer in 110105 and the demo admin elsewhere (None before seed_demo).
        self.admin = staff.get("13800000003")
        self.chaoyang = staff.get("13800000002", self.admin)
        self.open_share, self.seed = open_share, seed
        # Every day a generated application can be submitted on, computed here: worker processes
        # must not read the calendar from the database.
        first = self.today - dt.timedelta(days=3 * 365 + 60)
        self.due = {first + dt.timedelta(days=k): due_on_for(first + dt.timedelta(days=k)) for k in range(3 * 365 + 62)}

    def waiting_flags(self, start: int, stop: int) -> list[bool]:
        """Who of people start..stop is still waiting for a first collection (the batch's first draws)."""
        rng = random.Random(self.seed + start)
        return [rng.random() < self.open_share for _ in range(start, stop)]

    def batch(self, start: int, stop: int, uid: int, rid: int) -> Batch:
        """People start..stop with user ids from uid and record ids from rid, as rows."""
        rng = random.Random(self.seed + start)
        waiting = [rng.random() < self.open_share for _ in range(start, stop)]
        rows = self.t.batch()
        for i, is_waiting in zip(range(start, stop), waiting, strict=True):
            person = _person(i, rng, self.today)
            if is_waiting:
                self.waiting(rows, rng, uid, i, person)
            else:
                self.collected(rows, rng, uid, rid, i, person)
                rid += 1
            uid += 1
        return rows

    def reviewer(self, district: str):
        return self.chaoyang if district == "110105" else self.admin

    def due_on(self, at: dt.datetime) -> dt.date:
        return self.due[at.astimezone(self.tz).date()]  # not timezone.localtime: a thread-local lookup

    # --- one person --------------------------------------------------------------------------------

    def waiting(self, b: Batch, rng: random.Random, uid: int, i: int, p: dict) -> None:
        form = json.dumps(p["form"], ensure_ascii=False)
        # Registered before the earliest first round below (40 + 20 days back, created up to 3 days earlier).
        b.add(self.t.user, self._user(uid, i, p, id_number=None, joined=self.now - dt.timedelta(days=64)))
        submitted = self.now - dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 40))
        rounds = []
        if self.history and rng.random() < WAITING_RESUBMITTED:
            first = submitted - dt.timedelta(days=rng.uniform(8, 20))  # decided before the resubmission
            rounds.append(self._round(rng, first, p["district"], decision="rejected"))
        rounds.append(self._round(rng, submitted, p["district"], decision=""))
        status = "submitted" if rng.random() < 0.8 else "in_review"
        self._application(b, rng, uid, "first_collection", status, p, form, rounds)

    def collected(self, b: Batch, rng: random.Random, uid: int, rid: int, i: int, p: dict) -> None:
        now, history, district = self.now, self.history, p["district"]
        form = json.dumps(p["form"], ensure_ascii=False)
        start = now - dt.timedelta(days=rng.uniform(60, 3 * 365))
        b.add(self.t.user, self._user(uid, i, p, id_number=p["id_number"], joined=start - dt.timedelta(days=4)))
        kind = "transfer_in" if history and rng.random() < TRANSFERRED_IN else "first_collection"
        rounds = []
        if history and rng.random() < FIRST_REJECTED:
            rounds.append(self._round(rng, start, district, decision="rejected"))
            start = rounds[-1]["decided_at"] + dt.timedelta(days=rng.uniform(1, 6))
        rounds.append(self._round(rng, start, district, decision="approved"))
        extra = {}
        if kind == "transfer_in":
            origin = rng.choice(OTHER_PROVINCES)
            extra = {"origin_region": origin, "origin_reference": f"{origin[:2]}DZ{rng.randrange(10**9):09d}"}
        self._application(b, rng, uid, kind, "approved", p, form, rounds, extra)
        approved_at = rounds[-1]["decided_at"]
        record = {
            "id": rid,
            "user_id": uid,
            "district_id": district,
            "status": "normal",
            "version": 1,
            "name": p["name"],
            "id_number": p["id_number"],
            "created_at": approved_at,
            "updated_at": approved_at,
        }
        self._version(b, rid, 1, district, form, kind, approved_at, rounds[-1]["decided_by_id"])
        data = p["form"]
        if history and rng.random() < CHANGED:
            data, form, district = self._change(b, rng, uid, rid, p, record, approved_at)
        if history and self.admin and rng.random() < TRANSFERRING_OUT:  # a code needs its issuer
            self._transfer_out(b, rng, uid, p, record, form)
        elif history and rng.random() < WAITING_CHANGE:
            changed = _changed_form(rng, data, district)
            at = now - dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
            rounds = [self._round(rng, at, district, decision="")]
            self._application(b, rng, uid, "change", "submitted", p, json.dumps(changed, ensure_ascii=False), rounds)
        b.add(self.t.record, record)
        b.add(
            self.t.obligation,
            {"record_id": rid, "obliged_from": obliged_from_data(data), "record_version": record["version"]},
        )
        if rng.random() < self.credit_share:
            self._credits(b, rng, rid)

    # --- parts -------------------------------------------------------------------------------------

    def _user(self, uid: int, i: int, p: dict, *, id_number, joined: dt.datetime) -> dict:
        return {
            "id": uid,
            "password": self.password,
            "last_login": None,
            "is_superuser": False,
            "phone": f"{PHONE_PREFIX}{i:08d}",
            "id_number": id_number,
            "name": p["name"],
            "role": "applicant",
            "is_active": True,
            "is_staff": False,
            "must_change_password": False,
            "date_joined": joined,
        }

    def _round(self, rng: random.Random, submitted: dt.datetime, district: str, *, decision: str) -> dict:
        """One round; `decision` "" is still waiting (claimed or not, decided by the caller)."""
        to_claim = dt.timedelta(hours=rng.uniform(2, 24 * 6))
        to_decide = dt.timedelta(minutes=rng.uniform(5, 60 * 8))
        if submitted + to_claim + to_decide >= self.now:  # recent: the review took less time so far
            scale = 0.9 * (self.now - submitted) / (to_claim + to_decide)
            to_claim, to_decide = to_claim * scale, to_decide * scale
        claimed = submitted + to_claim
        decided = claimed + to_decide if decision else None
        return {
            "number": 0,  # set by _application
            "form": "",
            "attachments": "[]",
            "district_id": district,
            "submitted_at": submitted,
            "decision": decision,
            "reasons": json.dumps([rng.choice(self.reasons)]) if decision == "rejected" else "[]",
            "comment": "请按驳回原因修改后重新提交。" if decision == "rejected" else "",
            "decided_by_id": self.reviewer(district) if decision else None,
            "decided_at": decided,
            "claimed_at": claimed,
        }

    def _application(self, b, rng, uid, kind, status, p, form, rounds, extra=None) -> uuid.UUID:
        app_id = uuid.uuid4()
        last = rounds[-1]
        created = rounds[0]["submitted_at"] - dt.timedelta(minutes=rng.uniform(10, 60 * 24 * 3))
        claimed = status != "submitted"
        reviewer = self.reviewer(last["district_id"])
        events = [(created, "created", 0, uid, "")]
        for number, r in enumerate(rounds, start=1):
            r["number"], r["application_id"] = number, app_id
            r["form"] = form
            events.append((r["submitted_at"], "resubmitted" if number > 1 else "submitted", number, uid, ""))
            if r["decision"] or (claimed and r is last):
                events.append((r["claimed_at"], "claimed", number, reviewer, ""))
            if r["decision"]:
                events.append((r["decided_at"], r["decision"], number, r["decided_by_id"], r["comment"]))
            claimed_at = r.pop("claimed_at")
            b.add(self.t.round, r)
        for at, event, number, actor, note in events:
            b.add(
                self.t.event,
                {"application_id": app_id, "at": at, "kind": event, "round": number, "actor_id": actor, "note": note},
            )
        if kind != "transfer_out":
            for q in p["form"]["qualifications"]:
                b.add(self.t.certificate, {"application_id": app_id, "number": q["certificate_number"]})
        row = {
            "id": app_id,
            "applicant_id": uid,
            "type": kind,
            "status": status,
            "district_id": last["district_id"],
            "form": form,
            "round": len(rounds),
            "transfer_code": "",
            "destination_region": "",
            "origin_region": "",
            "origin_reference": "",
            "transfer_document": None,
            "applicant_name": p["name"],
            "id_number": p["id_number"],
            "due_on": self.due_on(last["submitted_at"]),
            "claimed_by_id": reviewer if claimed else None,
            "claimed_at": claimed_at if claimed else None,
            "first_submitted_at": rounds[0]["submitted_at"],
            "submitted_at": last["submitted_at"],
            "decided_at": last["decided_at"],
            "version": len(events) - 1,
            "created_at": created,
            "updated_at": events[-1][0],
        }
        if extra:
            row.update(extra)
        b.add(self.t.application, row)
        return app_id

    def _version(self, b, rid, version, district, form, source, at, by) -> None:
        b.add(
            self.t.version,
            {
                "record_id": rid,
                "version": version,
                "district_id": district,
                "data": form,
                "source": source,
                "created_at": at,
                "created_by_id": by,
            },
        )

    def _change(self, b, rng, uid, rid, p, record, after: dt.datetime):
        """An approved 信息变更: a new version; to another district for some (a move, reviewed there)."""
        district = record["district_id"]
        if rng.random() < MOVED:
            district = rng.choice([u for u in BEIJING_UNITS if u != district])
        data = _changed_form(rng, p["form"], district)
        form = json.dumps(data, ensure_ascii=False)
        at = after + (self.now - after) * rng.uniform(0.2, 0.9)
        rounds = [self._round(rng, at, district, decision="approved")]
        self._application(b, rng, uid, "change", "approved", p, form, rounds)
        decided = rounds[0]["decided_at"]
        self._version(b, rid, 2, district, form, "change", decided, rounds[0]["decided_by_id"])
        if district != record["district_id"]:
            b.add(
                self.t.move,
                {
                    "record_id": rid,
                    "from_district_id": record["district_id"],
                    "to_district_id": district,
                    "version": 2,
                    "source": "change",
                    "at": decided,
                },
            )
        record.update(district_id=district, version=2, updated_at=decided)
        return data, form, district

    def _transfer_out(self, b, rng, uid, p, record, form: str) -> None:
        """An approved 调出: the code is issued, the record is 调出中 until the other province takes it."""
        destination = rng.choice(OTHER_PROVINCES)
        at = record["updated_at"] + (self.now - record["updated_at"]) * rng.uniform(0.3, 0.95)
        rounds = [self._round(rng, at, record["district_id"], decision="approved")]
        app_id = self._application(
            b, rng, uid, "transfer_out", "approved", p, form, rounds, {"destination_region": destination}
        )
        issued = rounds[0]["decided_at"]
        body = "".join(rng.choice(CODE_ALPHABET) for _ in range(12))
        b.add(
            self.t.code,
            {
                "code": f"ZR{body[:4]}-{body[4:8]}-{body[8:]}",
                "record_id": record["id"],
                "person_id": uid,
                "source_district_id": record["district_id"],
                "destination_region_id": destination,
                "transfer_out_id": app_id,
                "issued_at": issued,
                "issued_by_id": rounds[0]["decided_by_id"] or self.admin,
                "expires_at": issued + dt.timedelta(days=settings.TRANSFER_CODE_DAYS),
                "used_at": None,
                "used_by_id": None,
                "revoked_at": None,
                "revoked_by_id": None,
                "document_salt": f"{rng.getrandbits(128):032x}",
            },
        )
        record.update(status="transferring_out", updated_at=issued)

    def _credits(self, b, rng, rid: int) -> None:
        """Provider credits for last year and this year so far: most compliant, about one in seven short."""
        for year in (self.this_year - 1, self.this_year):
            roll = rng.random()
            totals = {
                "professional": rng.choice([60, 64, 72, 80]) if roll >= 0.14 else rng.choice([24, 40, 52]),
                "public": rng.choice([30, 32, 36]) if roll >= 0.07 else rng.choice([8, 16]),
            }
            for subject, total in totals.items():
                if year == self.this_year:  # the year is not over: about half of it done
                    total //= 2
                parts = [24] * (total // 24) + ([total % 24] if total % 24 else [])
                for k, credits in enumerate(parts):
                    months = 12 if year < self.this_year else max(1, self.today.month - 1)
                    done = dt.date(year, rng.randint(1, months), rng.randrange(1, 28))
                    b.add(
                        self.t.credit,
                        {
                            "record_id": rid,
                            "year": year,
                            "subject": subject,
                            "credits": Decimal(credits),
                            "hours": Decimal(credits),
                            "source": "provider",
                            "course": rng.choice(COURSES[subject]),
                            "provider": CREDIT_PROVIDER,
                            "completed_on": done,
                            "external_id": f"demo-{rid}-{year}-{subject[:3]}-{k}",
                            "status": "accepted",
                            "created_at": self.now,
                        },
                    )


def _changed_form(rng: random.Random, form: dict, district: str) -> dict:
    """The form after a change: a new unit (in `district`) and position; the rest as before."""
    employment = dict(form["employment"])
    employment.update(
        unit_name=f"北京{rng.choice(UNIT_WORDS)}{rng.choice(UNIT_WORDS)}有限公司",
        unit_district=district,
        position=rng.choice(["accountant", "supervisor", "head"]),
    )
    basic = dict(form["basic"], residence_district=district)
    return {**form, "basic": basic, "employment": employment}


def seed_people(
    n: int,
    *,
    open_share: float = 0.1,
    history: bool = True,
    credit_share: float = 0.0,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
    seed: int = 2026,
    workers: int | None = None,
) -> int:
    """Ensure n generated people exist, with their history (see the module docstring). Returns how
    many were added. Each batch is one transaction, committed in order: an interrupted run leaves
    people 0..k complete, and the next run goes on from k.

    On PostgreSQL outside a transaction, `workers` processes (default: one per core) generate the
    batches' COPY text while this process writes the previous ones; otherwise (SQLite, tests,
    workers=0) each batch is generated and inserted here."""
    existing = User.objects.filter(phone__startswith=PHONE_PREFIX).count()
    if existing >= n:
        return 0
    now = timezone.now()
    maker = _History(now=now, credit_share=credit_share, history=history, open_share=open_share, seed=seed)
    starts = list(range(existing, n, batch))
    collected = [maker.waiting_flags(start, min(n, start + batch)).count(False) for start in starts]
    uid = reserve_ids(User, n - existing)
    rid = reserve_ids(Record, sum(collected))
    plan = []
    for start, count in zip(starts, collected, strict=True):
        plan.append((start, min(n, start + batch), uid, rid))
        uid, rid = uid + min(n, start + batch) - start, rid + count
    # Generating a person costs about as much CPU here as PostgreSQL spends storing it (docs/performance.md),
    # and one connection writes on one core: half the cores generate.
    workers = max(1, (os.cpu_count() or 2) // 2) if workers is None else workers
    if connection.vendor == "postgresql" and not connection.in_atomic_block and workers and len(plan) > 1:
        global _MAKER
        _MAKER = maker  # the forked workers inherit it; they never touch the database
        with multiprocessing.get_context("fork").Pool(min(workers, len(plan))) as pool:
            jobs = iter(plan)
            # A bounded window of batches in flight (Pool.imap would queue them all: gigabytes of text).
            pending = deque((job, pool.apply_async(_batch_text, (job,))) for job in islice(jobs, workers + 1))
            while pending:
                job, result = pending.popleft()
                texts = result.get()
                following = next(jobs, None)
                if following:
                    pending.append((following, pool.apply_async(_batch_text, (following,))))
                write_copy_text(texts)
                del texts
                if progress:
                    progress(job[1] - job[0])
    else:
        for job in plan:
            write(maker.batch(*job))
            if progress:
                progress(job[1] - job[0])
    from registry.applications.counts import rebuild

    rebuild()  # the applications above were bulk-inserted: recount the review queue's counters
    analyze([table.sql_table for table in _Tables().batch().rows])
    return n - existing


_MAKER = None


def _batch_text(job) -> list:
    return _MAKER.batch(*job).copy_text()
