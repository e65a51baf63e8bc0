"""The markup of one collection-form field on a step page (what applicant/_field.html held).

Made in Python: a step shows up to thirty fields, and an `{% include %}` per field with its dozen
branches was most of the step page's time. Every value is escaped with `html.escape` (what
django.utils.html.escape does, without its lazy-string wrapper); the <option>s come already escaped
(applicant_views._options), so the result may be marked safe.
"""

from html import escape

from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

INPUT_TYPES = {"date": "date", "email": "email", "tel": "tel"}


def field_html(item: dict) -> SafeString:
    """One field: label, control, help and its error slot (`item` as applicant_views._render_field
    makes it: spec, path, dom_id, value, options, region, errors, from_id, id_source)."""
    f = item["spec"]
    path, dom_id = escape(item["path"]), escape(item["dom_id"])
    value = escape(str(item["value"]))
    label = escape(f.label)
    errors = item["errors"]
    parts = [f'<div class="field{" has-error" if errors else ""}">']
    if f.widget == "checkbox":
        parts.append(f'<input type="hidden" name="{path}" value="0">')
        parts.append(
            f'<label class="check"><input type="checkbox" id="{dom_id}" name="{path}" value="1"'
            f"{' checked' if item['value'] else ''}> {label}</label>"
        )
    elif item.get("from_id"):
        parts.append(_from_id_html(f, path, dom_id, value, label, item["value"]))
    else:
        parts.append(f'<label for="{dom_id}">{label}</label>')
        if f.widget in ("select", "unit"):
            from_id = ' data-from-id="gender"' if f.name == "gender" else ""
            parts.append(
                f'<select id="{dom_id}" name="{path}"{from_id}>\n<option value="">请选择</option>\n'
                f"{item['options']}\n</select>"
            )
        elif f.widget == "region":
            region = item["region"]
            parts.append(
                f'<div class="region-row">\n'
                f'<select aria-label="省份" name="_province_{path}" hx-get="{escape(reverse("web:region_options"))}"'
                f' hx-trigger="change" hx-target="#{dom_id}" data-province-select>\n'
                f'<option value="">请选择省份</option>\n{region["province_options"]}\n</select>\n'
                f'<select id="{dom_id}" name="{path}" aria-label="区县">\n'
                f'<option value="">请选择区县</option>\n{region["county_options"]}\n</select>\n</div>'
            )
        elif f.widget == "textarea":
            parts.append(f'<textarea id="{dom_id}" name="{path}" rows="3">{value}</textarea>')
        else:
            extra = " readonly" if f.name == "phone" else ""
            if item.get("id_source"):
                extra += " data-id-number"
            if f.name in ("birth_date", "gender"):
                extra += f' data-from-id="{f.name}"'
            parts.append(
                f'<input id="{dom_id}" name="{path}" value="{value}" type="{INPUT_TYPES.get(f.widget, "text")}"'
                f'{extra} autocomplete="off">'
            )
    if f.help:
        parts.append(f'<p class="help">{escape(f.help)}</p>')
    parts.append(
        f'<p id="err-{escape(item["dom_id"][2:])}" class="field-error" role="alert">{escape(" ".join(errors))}</p>'
    )
    parts.append("</div>")
    return mark_safe("\n".join(parts))


def _from_id_html(f, path: str, dom_id: str, value: str, label: str, raw) -> str:
    """Birth date or gender that equals what the ID number states: shown, posted, not typed over."""
    if f.name == "gender":
        shown = {"M": "男", "F": "女"}.get(raw, "")
        control = (
            f'<input type="hidden" name="{path}" value="{value}" data-from-id="gender">\n'
            f'<input id="{dom_id}" type="text" value="{shown}" readonly class="from-id" data-from-id-shown="gender">'
        )
    else:
        control = (
            f'<input id="{dom_id}" name="{path}" type="date" value="{value}" readonly class="from-id"'
            f' data-from-id="{escape(f.name)}">'
        )
    return (
        f'<label for="{dom_id}">{label}</label>\n{control}\n'
        '<p class="help from-id-note">由身份证自动带出（如有误，请核对证件号码）</p>'
    )
