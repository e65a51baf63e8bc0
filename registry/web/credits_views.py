"""Continuing education on the web: the person's page (years, records, chart, declarations,
transcript PDF) and the districts' pages (compliance, non-compliant people, declaration review)."""

import json
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from registry.accounts import access
from registry.audit.services import audit_search, client_ip
from registry.core.errors import ServiceError
from registry.core.masking import mask_id_number
from registry.core.selectors import jurisdiction_units
from registry.credits import selectors, services
from registry.credits.models import DEFAULT_CONVERSIONS, DeclarationKind, Unit
from registry.credits.rules import rules_for
from registry.records.models import Record

from .views import refuse_on_page, show_service_error

YEARS_SHOWN = 5


def _own_record(request):
    return Record.objects.select_related("district").filter(user=request.user).first()


def _year(request, default: int) -> int:
    try:
        year = int(request.GET.get("year") or default)
    except ValueError:
        return default
    return year if 2000 <= year <= selectors.this_year() else default


@never_cache
@login_required
def my_credits(request):
    record = _own_record(request)
    if record is None:
        return render(request, "credits/mine.html", {"record": None})
    this_year = selectors.this_year()
    year = _year(request, this_year)
    standing = selectors.compliance(record, year, with_records=True)
    years = selectors.recent_years(record, until=this_year, count=YEARS_SHOWN)
    chart = {
        "years": [str(y.year) for y in years],
        "professional": [float(y.professional) for y in years],
        "public": [float(y.public) for y in years],
        "required": [float(y.required) for y in years],
    }
    return render(request, "credits/mine.html", {
        "record": record, "standing": standing, "years": years, "chart": chart,
        "year_choices": list(range(this_year, this_year - 10, -1)),
        "declarations": [(d, selectors.reason_names(d.reasons)) for d in selectors.person_declarations(record)[:50]],
        "rules": rules_for(year),
    })  # fmt: skip


class DeclarationForm(forms.Form):
    year = forms.TypedChoiceField(label="年度", coerce=int)
    kind = forms.ChoiceField(label="申报类型", choices=DeclarationKind.choices)
    title = forms.CharField(label="活动名称", max_length=200, help_text="考试科目、会议、课程、课题、论文或书籍名称")
    date = forms.DateField(label="活动日期", required=False, help_text="须在所选年度内，且不晚于今天",
                           widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    days = forms.DecimalField(label="天数（学术会议）", required=False, min_value=0.5, decimal_places=1)
    hours = forms.DecimalField(label="学时（协会继续教育）", required=False, min_value=0.5, decimal_places=1)
    proof = forms.FileField(label="证明材料（JPG、PNG 或 PDF）")

    def __init__(self, *args, years, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y} 年") for y in years]


def _declarable_years() -> list[int]:
    today = services.today()
    years = [today.year]
    if today <= rules_for(today.year - 1).declare_until:
        years.append(today.year - 1)
    return years


@never_cache
@login_required
def declare(request):
    record = _own_record(request)
    if record is None:
        messages.error(request, "您尚未完成信息采集，采集通过后才能申报学分。")
        return redirect("web:my_credits")
    years = _declarable_years()
    form = DeclarationForm(request.POST or None, request.FILES or None, years=years)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        details = {"title": data["title"], "date": data["date"].isoformat() if data["date"] else ""}
        for key in ("days", "hours"):
            if data[key] is not None:
                details[key] = str(data[key])
        try:
            declaration = services.declaration_submit(person=record, actor=request.user, year=data["year"],
                                                      kind=data["kind"], details=details, ip=client_ip(request))  # fmt: skip
        except ServiceError as exc:
            show_service_error(form, exc, prefix="details.")  # details.date → the form's date
        else:
            try:
                services.proof_add(declaration=declaration, actor=request.user, uploaded=data["proof"])
            except ServiceError as exc:
                messages.error(
                    request,
                    f"申报已保存（{declaration.credits} 学分，待审核），但证明材料未通过检查：{exc.message} 请在下方重新上传。",
                )
            else:
                messages.success(request, f"已提交申报：按折算标准计 {declaration.credits} 学分，待所属区财政局审核。")
            return redirect("web:my_credits")
    table = [(kind, label, DEFAULT_CONVERSIONS[kind]) for kind, label in DeclarationKind.choices]
    conversions = rules_for(years[-1]).conversions
    return render(request, "credits/declare.html", {
        "form": form,
        "table": [(label, conversions[kind].credits, Unit(conversions[kind].unit).label) for kind, label, _ in table],
        "deadline": rules_for(services.today().year - 1).declare_until,
    })  # fmt: skip


@require_POST
@login_required
def proof_upload(request, declaration_id):
    record = _own_record(request)
    if record is None:
        raise PermissionDenied
    from registry.accounts.access import get_or_404

    declaration = get_or_404(selectors.person_declarations(record), pk=declaration_id)
    try:
        services.proof_add(declaration=declaration, actor=request.user, uploaded=request.FILES.get("proof"))
        messages.success(request, "证明材料已上传。")
    except ServiceError as exc:
        refuse_on_page(request, exc)
    return redirect("web:my_credits")


@never_cache
@login_required
def transcript(request):
    record = _own_record(request)
    if record is None:
        messages.error(request, "您尚未完成信息采集。")
        return redirect("web:my_credits")
    year = _year(request, selectors.this_year())
    pdf, issued = services.transcript_issue(person=record, year=year, actor=request.user, ip=client_ip(request))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f"attachment; filename*=UTF-8''{quote(f'继续教育学时证明-{year}-{issued.number}.pdf')}"
    )
    return response


# --- Staff ----------------------------------------------------------------------------------------


def _staff(request):
    return access.require_staff(request.user)


def _district_choices(user):
    if access.is_admin(user):
        return jurisdiction_units()
    return user.districts.order_by("sort_order")


@never_cache
@login_required
def compliance(request):
    """Compliance rate by district for a year, and the non-compliant people (reviewers: their districts)."""
    user = _staff(request)
    year = _year(request, selectors.this_year() - 1)
    choices = list(_district_choices(user))
    allowed = {d.code for d in choices}
    district = request.GET.get("district") or ""
    if district and district not in allowed:
        district = ""
    scope = [district] if district else (None if access.is_admin(user) else sorted(allowed))
    cursor = request.GET.get("cursor") or None
    try:
        page = selectors.noncompliant_page(year, scope, cursor=cursor)
    except selectors.BadCursor:
        messages.error(request, "分页参数无效，已回到第一页。")
        return redirect(f"{request.path}?{urlencode({'year': year, 'district': district})}")
    services.noncompliant_list_read(actor=user, year=year, district=district, rows=len(page.results), cursor=cursor,
                                    ip=client_ip(request))  # fmt: skip
    rates = selectors.district_compliance(year, scope)
    names = {d.code: d.name for d in choices}
    chart = {
        "districts": [names.get(c, c) for c in rates],
        "rates": [round((r.rate or 0) * 100, 1) for r in rates.values()],
    }
    rules = rules_for(year)
    first = {"year": year, "district": district}
    return render(request, "credits/compliance.html", {
        "year": year, "year_choices": list(range(selectors.this_year(), selectors.this_year() - 10, -1)),
        "districts": choices, "district": district, "names": names,
        "rates": [(names.get(code, code), r) for code, r in rates.items()], "chart": chart,
        "people": [{"p": p, "id_masked": mask_id_number(p.id_number),
                    "missing": max(rules.required_total - p.ce_total, rules.required_professional - p.ce_professional)}
                   for p in page.results],
        "short_total": sum(r.obliged - r.compliant for r in rates.values()), "page_size": selectors.NONCOMPLIANT_PAGE_SIZE,
        "first_query": urlencode(first) if cursor else "",
        "next_query": urlencode({**first, "cursor": page.next}) if page.next else "",
    })  # fmt: skip


@never_cache
@login_required
def declaration_queue(request):
    user = _staff(request)
    status = request.GET.get("status") or None
    audit_search(
        actor=user, q=request.GET.get("q", ""), where="credit_declarations",
        district=request.GET.get("district") or None, ip=client_ip(request),
    )  # fmt: skip
    try:
        page = selectors.declaration_queue(user=user, status=status, district=request.GET.get("district") or None,
                                           q=request.GET.get("q", ""), cursor=request.GET.get("cursor") or None)  # fmt: skip
    except selectors.BadCursor:
        return redirect("web:credit_declarations")
    query = request.GET.copy()
    query.pop("cursor", None)
    if page.next:
        query["cursor"] = page.next
    return render(request, "credits/queue.html", {
        "page": page, "rows": [{"d": d, "id_masked": mask_id_number(d.record.id_number)} for d in page.results],
        "districts": _district_choices(user), "params": request.GET, "next_query": query.urlencode() if page.next else "",
    })  # fmt: skip


def _declaration_for_staff(request, declaration_id):
    return access.get_or_404(selectors.staff_declarations(_staff(request)), pk=declaration_id)


@never_cache
@login_required
def declaration_review(request, declaration_id):
    declaration = _declaration_for_staff(request, declaration_id)
    try:
        services.declaration_open(actor=request.user, declaration=declaration, ip=client_ip(request))
    except ServiceError as exc:
        refuse_on_page(request, exc)
        return redirect("web:credit_declarations")
    standing = selectors.compliance(declaration.record, declaration.year)
    return render(request, "credits/review.html", {
        "d": declaration, "standing": standing, "reasons": selectors.rejection_reasons(),
        "reason_names": selectors.reason_names(declaration.reasons), "proofs": declaration.proofs.all(),
        "id_number": declaration.record.id_number,
    })  # fmt: skip


@require_POST
@login_required
def declaration_decide(request, declaration_id):
    declaration = _declaration_for_staff(request, declaration_id)
    action = request.POST.get("action")
    try:
        if action == "claim":
            services.declaration_claim(actor=request.user, declaration=declaration, ip=client_ip(request))
            messages.success(request, "已受理。")
        else:
            services.declaration_decide(actor=request.user, declaration=declaration, decision=action,
                                        reasons=request.POST.getlist("reasons"), comment=request.POST.get("comment", ""),
                                        ip=client_ip(request))  # fmt: skip
            messages.success(request, "已作出审核决定。")
    except ServiceError as exc:
        refuse_on_page(request, exc)
    return redirect("web:credit_declaration", declaration_id=declaration.pk)


def chart_json(value) -> str:
    return json.dumps(value, ensure_ascii=False)
