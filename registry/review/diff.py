"""Field-by-field differences between the approved record and a change application."""


def flatten(value, prefix: str = "") -> dict[str, object]:
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}.{i}"))
        return out or {prefix: []}
    return {prefix: value}


def form_diff(old: dict, new: dict) -> list[dict]:
    """[{"field", "old", "new"}] for every path whose value differs (added and removed entries too)."""
    before, after = flatten(old or {}), flatten(new or {})
    changes = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path), after.get(path)
        if (a in ("", None, [], False) and b in ("", None, [], False)) or a == b:
            continue
        changes.append({"field": path, "old": a, "new": b})
    return changes
