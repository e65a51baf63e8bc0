import functools
from html import escape

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ labels.ethnicity|get_item:code }} — look up a code's name in a dict."""
    if not isinstance(mapping, dict):
        return ""
    return mapping.get(key if not isinstance(key, int) else str(key), "")


@register.simple_tag
def site_url(name: str) -> str:
    """{% site_url 'web:home' %} — {% url 'web:home' %} for a page without arguments, reversed once
    per process (per URLconf and script prefix): every page's header and footer ask for a dozen."""
    return _reversed(settings.ROOT_URLCONF, get_urlconf(), get_script_prefix(), name)


@register.simple_tag
def site_static(path: str) -> str:
    """{% site_static 'web/site.css' %} — {% static %} worked out once per process (and STATIC_URL):
    the files' addresses do not change while it runs, and every page's head asks for four."""
    return _static(settings.STATIC_URL, path)


@functools.lru_cache(maxsize=64)
def _static(static_url, path: str) -> str:
    from django.templatetags.static import static

    return static(path)


@register.simple_tag(takes_context=True)
def nav_links(context) -> str:
    """The header's links (context_processors.site's `nav_items`), written here: a template loop with a
    {% site_url %} per link cost more than the rest of the header."""
    root, urlconf, prefix = settings.ROOT_URLCONF, get_urlconf(), get_script_prefix()
    return mark_safe(
        "".join(
            f'<a href="{escape(_reversed(root, urlconf, prefix, name))}">{escape(str(label))}</a>'
            for name, label in context.get("nav_items", ())
        )
    )


@functools.lru_cache(maxsize=512)
def _reversed(root_urlconf, urlconf, prefix, name: str) -> str:
    return reverse(name, urlconf=urlconf)


@register.simple_tag
def app_url(application, *parts) -> str:
    """{% app_url application %} is {% url 'web:apply_status' application.pk %}, and every other page
    of one application lives under it (web/urls.py): {% app_url application "materials" %},
    {% app_url application step.slug "autosave" %}. Reversed once per application object, not once
    per link (a step page has some fifteen)."""
    base = application.__dict__.get("_status_url")
    if base is None:
        base = application._status_url = reverse("web:apply_status", args=[application.pk])
    return base + "".join(f"{part}/" for part in parts)


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
def form_summary_html(form, labels=None, materials_shown=False):
    """{% form_summary_html form form_labels materials_shown %} — the summary card of
    applicant/_summary.html (every field of every section with its Chinese label), made here: a
    template loop over some fifty rows was half of the record page's time."""
    sections = form_summary(form, labels or None)
    # Plain strings escaped with html.escape (what django.utils.html.escape does, without its lazy
    # wrapper): every piece below is a literal or escaped, so the whole may be marked safe.
    parts = ['<section class="card summary" data-testid="form-summary">']
    for s in sections:
        parts.append(f"<h2>{escape(str(s['title']))}</h2>")
        if not s["entries"]:
            parts.append('<p class="muted">无</p>')
        for entry in s["entries"]:
            if entry["title"]:
                parts.append(f'<h3 class="entry-title">{escape(str(entry["title"]))}</h3>')
            parts.append('<dl class="facts">')
            for row in entry["rows"]:
                link = (
                    f' <a class="material-link" href="#{escape(row["material"])}">对照材料</a>'
                    if row["material"] and materials_shown
                    else ""
                )
                parts.append(
                    f"<dt>{escape(str(row['label']))}</dt>"
                    f'<dd data-field="{escape(row["path"])}">{escape(str(row["value"]))}{link}</dd>'
                )
            parts.append("</dl>")
    parts.append("</section>")
    return mark_safe("\n".join(parts))


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
