"""Import benchmark (issue 15): `import_records` of N generated rows on PostgreSQL.

    createdb -h 127.0.0.1 -U postgres registry_import_bench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_import_bench
    .venv/bin/python manage.py migrate
    .venv/bin/python bench/import_bench.py --rows 100000 [--workers 2]

Writes the CSV once (var/bench/import_<N>.csv, reused), removes what earlier bench runs imported
(sources `bench…`), imports the file, then imports it again (the idempotent second run), and prints
for each: wall-clock time, the merge alone (the set-based part, PostgreSQL), the CPU seconds of this
process and its worker processes (what the time would be on an idle machine, PostgreSQL's own work
aside), and rows per second. Every row goes through the form's validation, which is where the
Python time goes.
"""

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from registry.imports import services  # noqa: E402
from registry.imports.samples import rows_csv, sample_row  # noqa: E402
from registry.imports.services import import_file  # noqa: E402


def dataset(rows: int) -> Path:
    path = ROOT / "var" / "bench" / f"import_{rows}.csv"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(rows)
    started = time.monotonic()
    with path.open("wb") as out:
        chunk = 50_000
        for start in range(0, rows, chunk):
            data = rows_csv([sample_row(rng) for _ in range(min(chunk, rows - start))])
            out.write(data if start == 0 else data.split(b"\n", 1)[1])
    print(f"generated {rows} rows in {time.monotonic() - started:.1f} s → {path} ({path.stat().st_size / 1e6:.0f} MB)")
    return path


def reset() -> None:
    """Forget earlier bench imports, so the first run really imports (and the second finds them)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE gone ON COMMIT DROP AS "
            "SELECT record_id FROM imports_importedperson WHERE source LIKE 'bench%%'"
        )
        cursor.execute("DELETE FROM imports_importedperson WHERE record_id IN (SELECT record_id FROM gone)")
        cursor.execute("DELETE FROM records_recordversion WHERE record_id IN (SELECT record_id FROM gone)")
        cursor.execute("DELETE FROM records_record WHERE id IN (SELECT record_id FROM gone)")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE records_record, records_recordversion, imports_importedperson")


def cpu_seconds() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--part", type=int, default=0, help="rows merged together (default: services.PART)")
    args = parser.parse_args()
    if args.part:
        services.PART = args.part
    if connection.vendor != "postgresql":
        sys.exit("set DATABASE_URL to a PostgreSQL database")
    path = dataset(args.rows)
    reset()
    source = f"bench{int(time.time())}"
    print(
        f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; workers {args.workers}; "
        f"parts of {services.PART} rows"
    )
    for label in ("first run", "second run (idempotent)"):
        started, cpu, own = time.monotonic(), cpu_seconds(), os.times()
        batch = import_file(path=path, source=source, workers=args.workers)
        wall, cpu, own = time.monotonic() - started, cpu_seconds() - cpu, os.times().user - own.user
        print(
            f"{label}: {wall:.1f} s wall, merge {batch.timings['merge']:.1f} s "
            f"(waited for after the checks {batch.timings.get('merge_wait', batch.timings['merge']):.1f} s), "
            f"Python CPU {cpu:.1f} s (this process {own:.1f} s user); "
            f"imported {batch.imported}, rejected {batch.rejected}, already present {batch.already_present}; "
            f"{args.rows / wall:,.0f} rows/s; load average now {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
