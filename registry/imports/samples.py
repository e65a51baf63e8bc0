"""Generated import rows (never real people) for the tests, the browser test and bench/."""

import csv
import datetime as dt
import io
import random

from registry.core import generators

from .template import COLUMNS


def sample_row(rng: random.Random, *, district: str | None = None, phone: str | None = None) -> dict[str, str]:
    district = district or rng.choice(generators.BEIJING_DISTRICTS)
    birth = dt.date(1965, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 35))
    gender = rng.choice("MF")
    return {
        "id_type": "resident_id",
        "id_number": generators.resident_id(rng, birth_date=birth, gender=gender),
        "name": rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(["伟", "芳", "娜", "敏", "静", "磊", "强", "洋"]),
        "gender": gender,
        "birth_date": birth.isoformat(),
        "phone": phone if phone is not None else generators.mobile(rng),
        "ethnicity": "01",
        "education_level": "bachelor",
        "school": "中央财经大学",
        "major": "会计学",
        "graduation_date": dt.date(birth.year + 22, 7, 1).isoformat(),
        "qualification_level": rng.choice(["junior", "intermediate", "senior"]),
        "qualification_obtained_on": dt.date(birth.year + 25, 10, 15).isoformat(),
        "qualification_certificate_number": f"Z{rng.randrange(10**13):013d}",
        "employment_status": "employed",
        "unit_name": "北京示例会计服务有限公司",
        "unit_uscc": generators.uscc(rng, unit_type="enterprise", region_code=district),
        "unit_type": "enterprise",
        "unit_district": district,
        "position": rng.choice(["accountant", "cashier", "supervisor"]),
        "accounting_since": dt.date(birth.year + 23, 3, 1).isoformat(),
        "district": district,
        "collected_on": "2019-06-30",
    }


def rows_csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    columns = columns or COLUMNS
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")
