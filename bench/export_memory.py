"""Export memory: peak resident memory while streaming the people list, at growing sizes.

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_stats   # a seeded database
    .venv/bin/python bench/export_memory.py [--sizes 10000,50000,150000]

Each size runs in a fresh process (so one run's peak cannot hide another's), as the municipal
admin, through the same service calls the API makes: the streamed CSV (every byte produced and
discarded, as a WSGI server sends it), the XLSX file (openpyxl write-only), and the background
job's CSV parts. Printed: rows, seconds, rows/s, peak RSS (VmHWM) and what the export added to it
(VmHWM reset through /proc/self/clear_refs just before the export).
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def vm(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return int(line.split()[1]) / 1024
    return 0.0


def one(kind: str, size: int) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    from registry.accounts.models import User
    from registry.stats import exports
    from registry.stats.models import ExportJob

    admin = User.objects.get(phone="13800000003")
    filters = exports.clean_filters(user=admin)
    exports.count_upper_bound(filters)  # warm: imports, connection
    Path("/proc/self/clear_refs").write_text("5")
    before = vm("VmRSS")
    start = time.perf_counter()
    rows = 0
    if kind == "csv":
        # the rows through the real stream (CSV writer, BOM), encoded as the response does, then dropped
        produced = 0
        stream = exports.csv_lines(
            exports.PEOPLE_HEADER, (r for _, r in exports.people_rows(filters, full=False, limit=size))
        )
        for line in stream:
            produced += len(line.encode("utf-8"))
            rows += 1
        rows -= 1  # the header
    elif kind == "xlsx":
        path = Path(f"/tmp/export-bench-{os.getpid()}.xlsx")
        rows = exports.write_xlsx(
            path, exports.PEOPLE_HEADER, (r for _, r in exports.people_rows(filters, full=False, limit=size))
        )
        produced = path.stat().st_size
        path.unlink()
    else:  # the background job's parts
        settings.EXPORT_PART_ROWS = 100_000
        settings.EXPORT_DIR = "/tmp/export-bench"
        job = ExportJob.objects.create(
            requested_by=admin, fmt="csv", filters={"district": "", "level": "", "status": ""}
        )
        while exports.export_job_step(str(job.pk)):
            pass
        job.refresh_from_db()
        rows, produced = job.rows, job.size
        (Path(settings.EXPORT_DIR) / job.file).unlink()
        job.delete()
    seconds = time.perf_counter() - start
    print(
        f"{kind:5s} rows {rows:>9,}  {seconds:6.1f} s  {rows / seconds:8.0f} rows/s  {produced / 1e6:7.1f} MB  "
        f"peak RSS {vm('VmHWM'):6.1f} MB (export added {vm('VmHWM') - before:5.1f} MB)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,50000,150000")
    parser.add_argument("--one", nargs=2)
    args = parser.parse_args()
    if args.one:
        one(args.one[0], int(args.one[1]))
        return
    for kind in ("csv", "xlsx"):
        for size in [int(s) for s in args.sizes.split(",")]:
            subprocess.run([sys.executable, __file__, "--one", kind, str(size)], check=True)
    subprocess.run([sys.executable, __file__, "--one", "job", "0"], check=True)


if __name__ == "__main__":
    main()
