"""The row check of `import_records` alone (issue 15): CPU per row of reading a generated CSV and of
`check_row` + the form's JSON + the staging line (what a checking process does), in this process, no database writes.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_import_bench   # migrated
    .venv/bin/python bench/import_check_rate.py [--rows 20000]

CPU time (process_time), not wall clock: on a shared host the wall clock measures the queue for
the CPU more than the check.
"""

import argparse
import datetime as dt
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

from registry.applications.validation import CodeTables  # noqa: E402
from registry.imports.reading import Reader  # noqa: E402
from registry.imports.samples import rows_csv, sample_row  # noqa: E402
from registry.imports.services import _check_block, _worker_init  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    path = ROOT / "var" / "bench" / f"import_check_{args.rows}.csv"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        rng = random.Random(1)
        path.write_bytes(rows_csv([sample_row(rng) for _ in range(args.rows)]))
    tables, today = CodeTables(), dt.date.today()
    reader = Reader(path, None)
    started = time.process_time()
    reader.open()
    blocks = list(reader.blocks(1000))
    read = time.process_time() - started
    _worker_init(reader, tables, today, True)
    _check_block(blocks[0])  # region cache, code tables
    started = time.process_time()
    rows = 0
    for block in blocks:
        count, accepted, rejected = _check_block(block)
        rows += len(accepted) + len(rejected)
    check = time.process_time() - started
    n = rows
    print(
        f"{n} rows: read {read / n * 1e6:.0f} µs CPU/row; check {check / n * 1e6:.0f} µs CPU/row "
        f"({n / check:,.0f} rows/s per core); load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    main()
