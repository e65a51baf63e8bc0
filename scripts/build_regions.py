"""Build registry/core/data/regions.csv from python-stdnum's bundled GB/T 2260 data (cn/loc.dat).

Run by a developer when the source data changes (`.venv/bin/python scripts/build_regions.py`);
the CSV is committed so the region tree never shifts under a library upgrade. Corrections for
dated entries and Beijing's management units live in BEIJING_UNITS / CORRECTIONS below.
"""

import csv
import re
from pathlib import Path

import stdnum

LOC_DAT = Path(stdnum.__file__).parent / "cn" / "loc.dat"
OUT = Path(__file__).resolve().parent.parent / "registry" / "core" / "data" / "regions.csv"

# Beijing's 18 reviewing units (PRODUCT.md): 16 districts plus two management units that have no
# GB/T 2260 code. Their codes keep Beijing's "11" prefix and contain letters, so they can never
# collide with a numeric GB/T 2260 code.
BEIJING_UNITS = [
    ("11YS00", "燕山地区", "燕山财政分局"),
    ("11KF00", "北京经济技术开发区", "北京经济技术开发区财政审计局"),
]
CORRECTIONS: dict[str, str] = {}  # code -> corrected current name, where stdnum's data is dated

SEGMENT = re.compile(r"^\[(?P<start>\d{4})?-(?P<end>\d{4})?\](?P<name>.+)$")


def parse_name(raw: str) -> tuple[str, int | None, int | None]:
    """'[-1991]东郊区,[1992-]东丽区' → ('东丽区', 1992, None); a name without brackets is current."""
    segments = [s.strip() for s in raw.split(",") if s.strip()]
    last = segments[-1]
    match = SEGMENT.match(last)
    if not match:
        return last, None, None
    start = int(match["start"]) if match["start"] else None
    end = int(match["end"]) if match["end"] else None
    return match["name"], start, end


def main() -> None:
    rows = []
    province = None
    for line in LOC_DAT.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if not line.startswith(" "):
            code2, rest = line.split(" ", 1)
            province = code2
            continue
        code4, rest = line.strip().split(" ", 1)
        raw = re.search(r'county="([^"]*)"', rest).group(1)
        code = province + code4
        name, start, end = parse_name(raw)
        name = CORRECTIONS.get(code, name)
        if code4 == "0000":
            level, parent = "province", ""
        elif code4.endswith("00"):
            level, parent = "prefecture", province + "0000"
        else:
            level = "county"
            parent = code[:4] + "00"
        rows.append([code, name, level, parent, start or "", end or ""])
    codes = {r[0] for r in rows}
    for row in rows:
        # Some counties hang directly under a province (省直辖县级行政区划 without a 9000 row).
        if row[3] and row[3] not in codes:
            row[3] = row[0][:2] + "0000"
    for code, name, bureau in BEIJING_UNITS:
        rows.append([code, name, "management_unit", "110000", "", "", bureau])
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["code", "name", "level", "parent", "valid_from_year", "valid_to_year", "bureau_name"])
        for row in rows:
            writer.writerow(row + [""] * (7 - len(row)))
    print(f"wrote {len(rows)} regions to {OUT}")


if __name__ == "__main__":
    main()
