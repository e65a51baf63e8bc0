"""Realistic, checksum-valid identity numbers for tests and demo data (never for real people).

Every function takes a `random.Random` so a seed reproduces the same data set.
"""

import datetime as dt
import random

from stdnum.cn import ric as stdnum_ric
from stdnum.cn import uscc as stdnum_uscc

# Beijing's 16 districts (GB/T 2260); the demo spreads people over them.
BEIJING_DISTRICTS = [
    "110101", "110102", "110105", "110106", "110107", "110108", "110109", "110111",
    "110112", "110113", "110114", "110115", "110116", "110117", "110118", "110119",
]  # fmt: skip
# Codes retired long ago that still appear in the ID numbers of older people.
BEIJING_OLD_CODES = ["110103", "110104", "110228", "110229"]

_ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
UNIT_TYPE_USCC_PREFIX = {
    "government": "11",
    "institution": "12",
    "enterprise": "91",
    "social_group": "51",
    "other": "52",
}


def resident_id(
    rng: random.Random,
    *,
    region_code: str | None = None,
    birth_date: dt.date | None = None,
    gender: str | None = None,
) -> str:
    region_code = region_code or rng.choice(BEIJING_DISTRICTS)
    if birth_date is None:
        birth_date = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 44))
    gender = gender or rng.choice("MF")
    sequence = rng.randrange(0, 100) * 10 + rng.choice([1, 3, 5, 7, 9] if gender == "M" else [0, 2, 4, 6, 8])
    body = f"{region_code}{birth_date:%Y%m%d}{sequence:03d}"
    return body + stdnum_ric.calc_check_digit(body + "0")


def organization_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714) with its own check character."""
    body = "".join(rng.choice("0123456789") for _ in range(8))
    total = sum(int(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def uscc(rng: random.Random, *, unit_type: str = "enterprise", region_code: str | None = None) -> str:
    prefix = UNIT_TYPE_USCC_PREFIX.get(unit_type, "91")
    region_code = region_code or rng.choice(BEIJING_DISTRICTS)
    body = f"{prefix}{region_code}{organization_code(rng)}"
    return body + stdnum_uscc.calc_check_digit(body)


def mobile(rng: random.Random) -> str:
    return rng.choice(["13", "15", "17", "18", "19"]) + "".join(rng.choice("0123456789") for _ in range(9))
