"""Provider credit-file import on PostgreSQL, against a plain COPY of the same file.

    createdb -h 127.0.0.1 -U postgres registry_credits_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_credits_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/credits_import.py --rows 1000000 --people 200000

Creates `--people` collected people with one SQL statement each for accounts and records (the
import only joins on records_record), writes a CSV of `--rows` credit rows in the template's
columns (about 2 % of them bad: unknown person, wrong name, bad credits), then times
  1. a plain `COPY … FROM STDIN (FORMAT csv)` of that file into a table of nine text columns, and
  2. `import_file` (read and check in Python → COPY into staging → one merge), into an empty
     credits table (earlier bench rows are deleted first),
and prints both and their ratio. The second import of the same file is timed too (all duplicates).
"""

import argparse
import csv
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from registry.credits import imports  # noqa: E402
from registry.credits.models import CreditRecord  # noqa: E402

PROVIDER = "bench-provider"


def ensure_people(n: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM records_record WHERE id_number LIKE 'B%%'")
        have = cursor.fetchone()[0]
        if have >= n:
            return
        print(f"creating {n - have} people …", flush=True)
        cursor.execute(
            """INSERT INTO accounts_user (password, is_superuser, phone, id_number, name, role, is_active, is_staff,
                                          must_change_password, date_joined)
               SELECT '!', false, 'b' || lpad(i::text, 10, '0'), 'B' || lpad(i::text, 17, '0'), '人员' || i,
                      'applicant', true, false, false, now()
               FROM generate_series(%s, %s - 1) i""",
            [have, n],
        )
        cursor.execute(
            """INSERT INTO records_record (user_id, district_id, status, version, name, id_number, created_at, updated_at)
               SELECT u.id, '110105', 'normal', 1, u.name, u.id_number, now(), now()
               FROM accounts_user u WHERE u.phone LIKE 'b%%'
                 AND NOT EXISTS (SELECT 1 FROM records_record r WHERE r.user_id = u.id)"""
        )
        cursor.execute("ANALYZE records_record")


def write_file(path: Path, rows: int, people: int) -> None:
    rng = random.Random(12)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(imports.COLUMNS)
        for i in range(rows):
            p = rng.randrange(people)
            id_number, name, credits = f"B{p:017d}", f"人员{p}", rng.choice(["2", "4", "8", "12.5", "24", "30"])
            roll = rng.random()
            if roll < 0.005:
                id_number = f"X{p:017d}"
            elif roll < 0.01:
                name = "某某"
            elif roll < 0.02:
                credits = "1.25"
            month = rng.randrange(1, 13)
            writer.writerow([f"E{i:09d}", id_number, name, "2025", "会计继续教育课程", rng.choice(["professional", "public"]),
                             credits, credits, f"2025-{month:02d}-15"])  # fmt: skip


def plain_copy(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE plain_copy (" + ", ".join(f"{c} text" for c in imports.COLUMNS) + ")")
        start = time.perf_counter()
        with open(path, "rb") as fh, cursor.copy("COPY plain_copy FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while data := fh.read(1 << 20):
                copy.write(data)
        took = time.perf_counter() - start
        cursor.execute("DROP TABLE plain_copy")
    return took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--people", type=int, default=200_000)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "set DATABASE_URL to a PostgreSQL database"
    ensure_people(args.people)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "credits.csv"
        write_file(path, args.rows, args.people)
        print(f"file: {args.rows} rows, {path.stat().st_size / 1e6:.0f} MB", flush=True)
        CreditRecord.objects.filter(provider=PROVIDER).delete()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE credits_creditrecord")
        copy_s = plain_copy(path)
        print(f"plain COPY: {copy_s:.1f} s", flush=True)
        start = time.perf_counter()
        outcome = imports.import_file(path=path, provider=PROVIDER)
        import_s = time.perf_counter() - start
        r = outcome.result
        print(
            f"import: {import_s:.1f} s (accepted {r.accepted}, duplicates {r.duplicates}, rejected {len(r.rejected)})"
        )
        print(f"ratio import / plain COPY: {import_s / copy_s:.1f}", flush=True)
        start = time.perf_counter()
        again = imports.import_file(path=path, provider=PROVIDER).result
        print(
            f"same file again: {time.perf_counter() - start:.1f} s (accepted {again.accepted}, duplicates {again.duplicates})"
        )


if __name__ == "__main__":
    main()
