"""Field-by-field differences between the approved record and a change application."""

from registry.applications.form import flatten
from registry.applications.labels import FormLabels, path_order


def form_diff(old: dict, new: dict, *, labels: FormLabels | None = None) -> list[dict]:
    """[{"field", "old", "new", "label", "old_label", "new_label"}] for every path whose value
    differs (added and removed entries too), in the form's order. `field`/`old`/`new` are the
    stored keys and values; the `*label` keys are what a person reads ("职务（岗位）", "会计主管")."""
    old, new = old or {}, new or {}
    before, after = flatten(old), flatten(new)
    labels = labels or FormLabels(old, new)
    labels.prepare(old, new)
    changes = []
    for path in sorted(set(before) | set(after), key=path_order):
        a, b = before.get(path), after.get(path)
        if (a in ("", None, [], False) and b in ("", None, [], False)) or a == b:
            continue
        changes.append(
            {
                "field": path,
                "old": a,
                "new": b,
                "label": labels.field(path),
                # A value absent on one side (an entry added or removed) reads as "—", not "否"/"至今".
                "old_label": labels.value(path, a) if path in before else "—",
                "new_label": labels.value(path, b) if path in after else "—",
            }
        )
    return changes
