"""Notice fan-out benchmark: publish one notice to everyone and time the fan-out (inbox rows, and
with --sms one SMS outbox row each), with the process's peak memory.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python manage.py seed_demo
    .venv/bin/python bench/notice_fanout.py --people 500000 [--sms]

`--people N` first tops the database up to N people with approved records using one INSERT …
SELECT generate_series each (PostgreSQL; phones 171…, minimal records without versions — all the
`all` audience reads), since `seed_demo --people` makes full forms and is far slower.

The publishing call (what the web request does: check, count, write the notice) and the fan-out
(what the background job does, batch by batch, NOTICE_FANOUT_BATCH people per transaction) are
timed separately. SMS delivery itself is not timed (it is the gateway's speed): with --sms the SMS
jobs are not run, only the outbox rows are written. The longest single batch is reported too: no
transaction holds the database longer than that. The notice and its rows are deleted afterwards.
"""

import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_DEBUG", "false")  # DEBUG keeps every query in memory

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from registry.accounts.models import User  # noqa: E402
from registry.notices.models import Notice, NoticeRecipient, NoticeStatus  # noqa: E402
from registry.notices.services import notice_fan_out_batch, notice_publish  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def top_up(people: int) -> None:
    from registry.demo.people import BEIJING_UNITS
    from registry.records.models import Record

    have = Record.objects.count()
    if have >= people:
        return
    start = time.perf_counter()
    units = "ARRAY[" + ",".join(f"'{u}'" for u in BEIJING_UNITS) + "]"
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO accounts_user (phone, name, role, password, is_active, is_staff, is_superuser,"
            " must_change_password, date_joined, id_number)"
            " SELECT '171' || lpad(n::text, 8, '0'), '基准' || n, 'applicant', '!', true, false, false, false,"
            " now(), 'B' || lpad(n::text, 17, '0') FROM generate_series(0, %s) AS n ON CONFLICT DO NOTHING",
            [people - 1 - Record.objects.exclude(user__phone__startswith="171").count()],
        )
        cursor.execute(
            "INSERT INTO records_record (user_id, district_id, status, version, name, id_number, created_at,"
            f" updated_at) SELECT u.id, ({units})[1 + (u.id % {len(BEIJING_UNITS)})], 'normal', 1, u.name,"
            " u.id_number, now(), now() FROM accounts_user u WHERE u.phone LIKE '171%'"
            " AND NOT EXISTS (SELECT 1 FROM records_record r WHERE r.user_id = u.id)"
        )
        cursor.execute("ANALYZE accounts_user; ANALYZE records_record")
    print(f"topped up to {Record.objects.count():,} records in {time.perf_counter() - start:.0f} s")


def main() -> None:
    sms = "--sms" in sys.argv
    if "--people" in sys.argv:
        top_up(int(sys.argv[sys.argv.index("--people") + 1]))
    settings.CELERY_TASK_ALWAYS_EAGER = False  # measure the fan-out alone: no inline batches, no delivery
    from registry.core import jobs

    jobs.enqueue = lambda *args, **kwargs: None  # noqa: E731 — the benchmark drives the batches itself
    import registry.notices.services as notice_services
    import registry.sms.services as sms_services

    notice_services.enqueue = sms_services.enqueue = jobs.enqueue
    admin = User.objects.get(phone="13800000003")
    print(
        f"database: {connection.vendor}; batch: {settings.NOTICE_FANOUT_BATCH}; sms: {sms}; start RSS {peak_mb():.0f} MB"
    )
    start = time.perf_counter()
    notice = notice_publish(
        actor=admin,
        title="基准测试通知",
        body="benchmark",
        audience={"kind": "all"},
        channels=["inbox", "sms"] if sms else ["inbox"],
    )
    publish_s = time.perf_counter() - start
    print(f"publish (the request): {publish_s * 1000:.0f} ms, recipients {notice.recipients:,}")
    start, longest, batches = time.perf_counter(), 0.0, 0
    while True:
        t = time.perf_counter()
        done = notice_fan_out_batch(notice_id=notice.pk)
        longest = max(longest, time.perf_counter() - t)
        batches += 1
        if done:
            break
    fan_s = time.perf_counter() - start
    notice.refresh_from_db()
    rows = NoticeRecipient.objects.filter(notice=notice).count()
    assert notice.status == NoticeStatus.PUBLISHED and rows == notice.recipients
    print(
        f"fan-out: {rows:,} inbox rows{' + SMS outbox rows' if sms else ''} in {fan_s:.1f} s "
        f"({rows / fan_s:,.0f} people/s), {batches} batches, longest batch {longest * 1000:.0f} ms; "
        f"peak RSS {peak_mb():.0f} MB"
    )
    # Clean up in SQL (the ORM's cascade collector would load every row into memory).
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_sms AS SELECT sms_id FROM notices_noticerecipient WHERE notice_id = %s",
            [notice.pk],
        )
        cursor.execute("DELETE FROM notices_noticerecipient WHERE notice_id = %s", [notice.pk])
        cursor.execute("DELETE FROM sms_smsmessage WHERE id IN (SELECT sms_id FROM bench_sms)")
    Notice.objects.filter(pk=notice.pk).delete()


if __name__ == "__main__":
    main()
