"""Masking of personal identifiers in lists, logs and audit details (PRODUCT.md: 110105********002X)."""


def mask_id_number(value: str | None) -> str:
    if not value:
        return ""
    if len(value) <= 10:
        return value[:2] + "*" * max(0, len(value) - 4) + value[-2:]
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str:
    if not value:
        return ""
    return value[:3] + "****" + value[-4:] if len(value) == 11 else "*" * len(value)
