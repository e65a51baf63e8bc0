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


def mask_email(value: str | None) -> str:
    """li****@example.com: enough to tell two addresses apart, not enough to write to."""
    if not value:
        return ""
    local, _, domain = value.partition("@")
    return local[:2] + "****" + ("@" + domain if domain else "")
