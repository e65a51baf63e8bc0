from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ labels.ethnicity|get_item:code }} — look up a code's name in a dict."""
    if not isinstance(mapping, dict):
        return ""
    return mapping.get(key if not isinstance(key, int) else str(key), "")


@register.simple_tag
def form_labels(form):
    """{% form_labels form as form_labels %} — one set of labels (code tables and regions read
    once) for the tags below on the same page."""
    from registry.applications.form import normalize_form
    from registry.applications.labels import FormLabels

    return FormLabels(normalize_form(form))


@register.simple_tag
def form_summary(form, labels=None):
    """{% form_summary form form_labels as summary %} — every section and field of a form with
    Chinese labels (applications.labels.FormLabels.summary)."""
    from registry.applications.form import normalize_form
    from registry.applications.labels import FormLabels

    form = normalize_form(form)
    return (labels or FormLabels(form)).summary(form)


@register.simple_tag
def material_rows(form, attachments, labels=None):
    """{% material_rows form attachments form_labels as materials %} — each material with its page
    anchor and the typed values it must prove (the number beside its certificate)."""
    from registry.applications.form import normalize_form
    from registry.applications.labels import FormLabels, material_anchor

    form = normalize_form(form)
    labels = labels or FormLabels(form)
    return [
        {"file": a, "anchor": material_anchor(a.kind, a.ref), "facts": labels.material_facts(form, a.kind, a.ref)}
        for a in attachments
    ]


@register.filter
def field_dom_id(path: str) -> str:
    """The element id of a form field's input ("basic.id_number" → "f-basic-id_number")."""
    return "f-" + str(path).replace(".", "-")
