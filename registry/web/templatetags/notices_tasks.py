"""Small partials other pages include: the header's unread notices link, the person's campaign
tasks on the home page."""

from django import template
from django.utils.safestring import mark_safe

from registry.accounts import access
from registry.campaigns.selectors import open_tasks
from registry.notices.selectors import unread_count

from .registry_extras import site_url

register = template.Library()


@register.simple_tag(takes_context=True)
def notices_link(context) -> str:
    """The header's link to the inbox with the unread count, for people (not staff). Written here,
    not by an included template: it is on every page."""
    user = context.get("user")
    if not (access.is_active_user(user) and not access.is_staff_member(user)):
        return "\n"  # what the included template's last line left
    unread = unread_count(user)
    badge = (
        f'<span class="badge" data-testid="unread-count" aria-label="{unread} 条未读">{unread}</span>' if unread else ""
    )
    return mark_safe(f'<a href="{site_url("web:inbox")}" data-testid="notices-link">通知{badge}</a>\n')


@register.inclusion_tag("campaigns/_home_tasks.html", takes_context=True)
def campaign_tasks(context):
    user = context.get("user")
    return {"tasks": open_tasks(user), "csrf_token": context.get("csrf_token")}
