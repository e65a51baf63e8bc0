"""Template tags for the read-back checks of materials (templates/materials/_*.html)."""

from django import template

from registry.material_checks import selectors

register = template.Library()


@register.simple_tag
def material_checks_for(attachment, form):
    """The checks of one material against `form`: Check objects (code, ok, message, found)."""
    return selectors.check_objects(attachment, form)


@register.simple_tag
def recognised_lines(attachment, form):
    return selectors.recognised_lines(attachment, form)


@register.simple_tag
def material_warnings(application):
    return selectors.warnings_of(application)


@register.filter
def any_pending(checks) -> bool:
    return any(c.ok is None and c.message == "正在检查…" for c in checks)


@register.filter
def any_failed(checks) -> bool:
    return any(c.ok is False for c in checks)
