from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """{{ labels.ethnicity|get_item:code }} — look up a code's name in a dict."""
    if not isinstance(mapping, dict):
        return ""
    return mapping.get(key if not isinstance(key, int) else str(key), "")
