"""Field validators. Each raises django.core.exceptions.ValidationError with a Chinese message for
people and a stable `code` for programs (API.md: `errors[].code`).

Why not plain `stdnum.cn.ric.validate`: it checks the region code against the *birth* year, which
rejects real numbers (an ID is issued years after birth, with the code in force then: someone
born 1980 can hold 110111 房山区, created 1986); it raises KeyError instead of an invalid result for
a known province with an unknown county; and it accepts birth dates in the future. We keep its
checksum and date parsing and check the region against our own region table.
"""

import datetime as dt
import re
import threading
import time
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import ValidationError
from stdnum.cn import ric as stdnum_ric


class ErrorCode(StrEnum):
    REQUIRED = "required"
    INVALID_FORMAT = "invalid_format"
    INVALID_CHECKSUM = "invalid_checksum"
    INVALID_BIRTH_DATE = "invalid_birth_date"
    UNKNOWN_REGION = "unknown_region"
    INVALID_PHONE = "invalid_phone"
    INVALID_DATE = "invalid_date"
    FUTURE_DATE = "future_date"
    DATE_ORDER = "date_order"


def _error(message: str, code: ErrorCode) -> ValidationError:
    return ValidationError(message, code=code.value)


_SPACES_AND_DASHES = re.compile(r"[\s\-]")


def _clean(value: str | None) -> str:
    """Full-width and other look-alike characters become ASCII (NFKC) before any check, so
    "１３８…" cannot slip past uniqueness rules as a different string."""
    if value and value.isascii() and value.isalnum():
        return value.upper()  # the common case (bulk imports): NFKC and the substitution change nothing
    return _SPACES_AND_DASHES.sub("", unicodedata.normalize("NFKC", value or "")).upper()


# --- Resident identity card (GB 11643) ----------------------------------------------------------


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: dt.date
    gender: str  # "M" | "F": the 17th digit is odd for men
    region_code: str


_REGION_CACHE_SECONDS = 300
_region_lock = threading.Lock()
_region_cache: tuple[float, dict[str, int | None]] | None = None


def _region_end_years() -> dict[str, int | None]:
    """code → last year the code was in use (None: still in use), from the region table."""
    global _region_cache
    now = time.monotonic()
    with _region_lock:
        if _region_cache and now - _region_cache[0] < _REGION_CACHE_SECONDS:
            return _region_cache[1]
    from .models import Region

    table = dict(Region.objects.values_list("code", "valid_to_year"))
    with _region_lock:
        _region_cache = (now, table)
    return table


def clear_region_cache() -> None:
    global _region_cache
    with _region_lock:
        _region_cache = None


_RESIDENT_ID_FORMAT = re.compile(r"[0-9]{17}[0-9X]")


def validate_resident_id(value: str | None, *, today: dt.date | None = None) -> ResidentId:
    number = _clean(value)
    if not number:
        raise _error("请填写居民身份证号码", ErrorCode.REQUIRED)
    if not _RESIDENT_ID_FORMAT.fullmatch(number):
        raise _error("居民身份证号码应为18位，前17位为数字，最后一位为数字或X", ErrorCode.INVALID_FORMAT)
    if stdnum_ric.calc_check_digit(number) != number[-1]:
        raise _error("居民身份证号码校验位不正确，请核对后重新输入", ErrorCode.INVALID_CHECKSUM)
    try:
        # stdnum's get_birth_date, without its second clean-up of an already clean number
        birth_date = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:  # 19991340 and similar
        raise _error("居民身份证号码中的出生日期不存在", ErrorCode.INVALID_BIRTH_DATE) from None
    if birth_date > (today or dt.date.today()):
        raise _error("居民身份证号码中的出生日期晚于今天", ErrorCode.INVALID_BIRTH_DATE)
    region_code = number[:6]
    end_years = _region_end_years()
    if region_code not in end_years:
        raise _error("居民身份证号码前6位不是有效的行政区划代码", ErrorCode.UNKNOWN_REGION)
    end_year = end_years[region_code]
    if end_year is not None and end_year < birth_date.year:
        # The code was retired before the person was born, so no number can carry it.
        raise _error(f"居民身份证号码前6位行政区划代码已于{end_year}年停用，早于出生年份", ErrorCode.UNKNOWN_REGION)
    gender = "M" if int(number[16]) % 2 else "F"
    return ResidentId(number=number, birth_date=birth_date, gender=gender, region_code=region_code)


# --- Other identity documents -------------------------------------------------------------------

_ID_PATTERNS = {
    # 港澳居民来往内地通行证: H (Hong Kong) or M (Macao) + 8 digits (10 on older cards).
    "hk_macao_permit": (r"[HM][0-9]{8}([0-9]{2})?", "港澳居民来往内地通行证号码应为H或M开头加8位（或10位）数字"),
    # 台湾居民来往大陆通行证: 8 digits since 2015, 10 characters before.
    "taiwan_permit": (r"[0-9]{8}|[0-9]{10}|[A-Z][0-9]{9}", "台湾居民来往大陆通行证号码应为8位数字（旧证为10位）"),
    "passport": (r"[A-Z0-9]{5,17}", "护照号码应为5至17位字母或数字"),
}


def validate_id_document(id_type: str, value: str | None, *, today: dt.date | None = None) -> str:
    """Validate an ID number of the given type and return it in its normal form."""
    if id_type == "resident_id":
        return validate_resident_id(value, today=today).number
    if id_type not in _ID_PATTERNS:
        raise _error("证件类型不在代码表中", ErrorCode.INVALID_FORMAT)
    number = _clean(value)
    if not number:
        raise _error("请填写证件号码", ErrorCode.REQUIRED)
    pattern, message = _ID_PATTERNS[id_type]
    if not re.fullmatch(pattern, number):
        raise _error(message, ErrorCode.INVALID_FORMAT)
    return number


# --- Unified social credit code (GB 32100) -------------------------------------------------------

# First character: registering authority (1 机构编制, 5 民政, 9 工商, N 农业, A 军队改革编制, Y 其他, …);
# stdnum accepts digits only there, so the format check is ours and the checksum is stdnum's.
_USCC_FORMAT = re.compile(r"[1-9ANY][1-9][0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}")


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _uscc_check_digit(number: str) -> str:
    """stdnum.cn.uscc.calc_check_digit for a number already cleaned and format-checked (stdnum
    cleans it again, which was most of the cost of a bulk import's USCC check)."""
    total = sum(_USCC_VALUE[c] * w for c, w in zip(number[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_ALPHABET[(31 - total) % 31]


def validate_uscc(value: str | None) -> str:
    number = _clean(value)
    if not number:
        raise _error("请填写统一社会信用代码", ErrorCode.REQUIRED)
    if len(number) != 18 or not _USCC_FORMAT.fullmatch(number):
        raise _error("统一社会信用代码应为18位，由数字和大写字母组成（不使用I、O、Z、S、V）", ErrorCode.INVALID_FORMAT)
    if _uscc_check_digit(number) != number[-1]:
        raise _error("统一社会信用代码校验位不正确，请核对营业执照或登记证书", ErrorCode.INVALID_CHECKSUM)
    return number


def uscc_unit_kind_prefix(number: str) -> str:
    """Positions 1–2 of a USCC: registering authority and entity type (11 机关, 12 事业单位, 91 企业 …)."""
    return number[:2]


# --- Phone and dates ----------------------------------------------------------------------------


_MOBILE_FORMAT = re.compile(r"1[3-9][0-9]{9}")


def validate_mobile(value: str | None) -> str:
    number = _clean(value)
    if number.startswith("+86"):
        number = number[3:]
    elif number.startswith("0086"):
        number = number[4:]
    if not number:
        raise _error("请填写手机号码", ErrorCode.REQUIRED)
    if not _MOBILE_FORMAT.fullmatch(number):
        raise _error("请输入11位中国大陆手机号码", ErrorCode.INVALID_PHONE)
    return number


def parse_date(value: str | dt.date | None) -> dt.date:
    if isinstance(value, dt.date):
        return value
    if not value:
        raise _error("请填写日期", ErrorCode.REQUIRED)
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise _error("日期格式应为YYYY-MM-DD，且须为真实存在的日期", ErrorCode.INVALID_DATE) from None


def validate_not_future(value: dt.date, *, today: dt.date | None = None) -> dt.date:
    if value > (today or dt.date.today()):
        raise _error("日期不能晚于今天", ErrorCode.FUTURE_DATE)
    return value


def validate_date_order(earlier: dt.date | None, later: dt.date | None, *, message: str | None = None) -> None:
    """`earlier` must not be after `later` (equal is allowed). Missing dates are not this check's job."""
    if earlier and later and earlier > later:
        raise _error(message or "开始日期不能晚于结束日期", ErrorCode.DATE_ORDER)
