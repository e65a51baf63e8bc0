"""Generated people for demos and benchmarks: realistic, checksum-valid, bulk-inserted.

`seed_people(n)` makes sure n generated people exist (idempotent: a second run adds nothing).
About 90% have an approved record; the rest have a first collection waiting in the review queue.
Generated accounts have no usable password (they could set one by SMS reset).
"""

import datetime as dt
import random
from collections.abc import Callable

from django.db import reset_queries, transaction
from django.utils import timezone

from registry.accounts.models import User
from registry.applications.models import Application, ApplicationCertificate, ApplicationRound
from registry.applications.services import due_on_for
from registry.core import generators
from registry.records.models import Record, RecordVersion

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


def _person(i: int, rng: random.Random, today: dt.date) -> dict:
    district = BEIJING_UNITS[i % len(BEIJING_UNITS)]
    id_region = generators.BEIJING_DISTRICTS[(i // 1000) % 16]
    birth = dt.date(1962, 1, 1) + dt.timedelta(days=((i // 16000) * 173) % 16060)
    seq = i % 1000
    gender = "M" if seq % 2 else "F"
    body = f"{id_region}{birth:%Y%m%d}{seq:03d}"
    from stdnum.cn import ric

    id_number = body + ric.calc_check_digit(body + "0")
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    unit_type, suffix, _ = _pick(rng, UNIT_KINDS)
    level = _pick(rng, LEVELS)[0]
    education = _pick(rng, EDUCATION)[0]
    graduated = dt.date(birth.year + 22, 7, 1)
    started = graduated + dt.timedelta(days=rng.randrange(30, 400))
    qualifications = []
    if level:
        obtained = min(today - dt.timedelta(days=30), started + dt.timedelta(days=365 * rng.randrange(1, 12)))
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
            "ethnicity": "01" if rng.random() < 0.93 else f"{rng.randrange(2, 57):02d}",
            "political_status": rng.choice(["13", "13", "13", "01", "03"]),
            "phone": f"{PHONE_PREFIX}{i:08d}",
            "email": "",
            "hukou_region": id_region,
            "residence_address": f"北京市{rng.randrange(1, 300)}号",
            "residence_district": district,
            "local_social_insurance": True,
        },
        "education": [
            {
                "level": education,
                "school": "北京示例大学",
                "major": "会计学",
                "start_date": dt.date(graduated.year - 4, 9, 1).isoformat(),
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
            "unit_name": f"北京{rng.choice(UNIT_WORDS)}{rng.choice(UNIT_WORDS)}{suffix}",
            "unit_uscc": generators.uscc(
                rng, unit_type=unit_type, region_code=district if district[2:3].isdigit() else "110115"
            ),
            "unit_type": unit_type,
            "unit_district": district,
            "department": "财务部",
            "position": rng.choice(["accountant", "accountant", "cashier", "supervisor", "head"]),
            "accounting_since": started.isoformat(),
            "doing_accounting": True,
        },
        "work_history": [],
        "other": {"party_member": False, "titles": "", "honors": "", "remarks": ""},
    }
    return {"district": district, "name": name, "id_number": id_number, "form": form}


def seed_people(
    n: int,
    *,
    open_share: float = 0.1,
    batch: int = 5000,
    progress: Callable[[int], None] | None = None,
    seed: int = 2026,
) -> int:
    """Ensure n generated people exist. Returns how many were added."""
    existing = User.objects.filter(phone__startswith=PHONE_PREFIX).count()
    today = timezone.localdate()
    now = timezone.now()
    due_cache: dict[dt.date, dt.date] = {}
    added = 0
    for start in range(existing, n, batch):
        stop = min(n, start + batch)
        rng = random.Random(seed + start)
        people = [_person(i, rng, today) for i in range(start, stop)]
        with transaction.atomic():
            users = User.objects.bulk_create(
                User(phone=f"{PHONE_PREFIX}{i:08d}", name=p["name"], password="!", role="applicant")
                for i, p in zip(range(start, stop), people, strict=True)
            )
            if users[0].pk is None:  # backends that do not return keys on bulk insert
                users = list(User.objects.filter(phone__in=[u.phone for u in users]).order_by("phone"))
            collected, waiting = [], []
            for user, person in zip(users, people, strict=True):
                (waiting if rng.random() < open_share else collected).append((user, person))
            records = Record.objects.bulk_create(
                Record(user=u, district_id=p["district"], name=p["name"], id_number=p["id_number"])
                for u, p in collected
            )
            if records and records[0].pk is None:
                by_user = dict(Record.objects.filter(user__in=[u for u, _ in collected]).values_list("user_id", "pk"))
                for record in records:
                    record.pk = by_user[record.user_id]
            RecordVersion.objects.bulk_create(
                RecordVersion(record=r, version=1, district_id=p["district"], data=p["form"], source="import")
                for r, (_, p) in zip(records, collected, strict=True)
            )
            User.objects.bulk_update(
                [User(pk=u.pk, id_number=p["id_number"]) for u, p in collected], ["id_number"], batch_size=1000
            )
            applications = []
            for user, person in waiting:
                submitted = now - dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 40))
                day = timezone.localtime(submitted).date()
                if day not in due_cache:
                    due_cache[day] = due_on_for(day)
                applications.append(
                    Application(
                        applicant=user,
                        type="first_collection",
                        status="submitted" if rng.random() < 0.8 else "in_review",
                        district_id=person["district"],
                        form=person["form"],
                        round=1,
                        submitted_at=submitted,
                        first_submitted_at=submitted,
                        applicant_name=person["name"],
                        id_number=person["id_number"],
                        due_on=due_cache[day],
                    )
                )
            Application.objects.bulk_create(applications)
            ApplicationRound.objects.bulk_create(
                ApplicationRound(
                    application=a, number=1, form=a.form, district_id=a.district_id, submitted_at=a.submitted_at
                )
                for a in applications
            )
            ApplicationCertificate.objects.bulk_create(
                ApplicationCertificate(application=a, number=q["certificate_number"])
                for a in applications
                for q in a.form["qualifications"]
            )
        added += stop - start
        reset_queries()  # with DEBUG on, Django keeps every (huge) bulk INSERT in memory otherwise
        if progress:
            progress(stop - start)
    if added:
        from registry.applications.counts import rebuild

        rebuild()  # the applications above were bulk-inserted: recount the review queue's counters
    return added
