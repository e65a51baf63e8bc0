"""Small partials other pages include: the header's unread notices link, the person's campaign
tasks on the home page."""

from django import template

from registry.accounts import access
from registry.campaigns.selectors import open_tasks
from registry.notices.selectors import unread_count

register = template.Library()


@register.inclusion_tag("notices/_header_link.html", takes_context=True)
def notices_link(context):
    user = context.get("user")
    show = access.is_active_user(user) and not access.is_staff_member(user)
    return {"show": show, "unread": unread_count(user) if show else 0}


@register.inclusion_tag("campaigns/_home_tasks.html", takes_context=True)
def campaign_tasks(context):
    user = context.get("user")
    return {"tasks": open_tasks(user), "csrf_token": context.get("csrf_token")}
