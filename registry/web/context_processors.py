from django.conf import settings

from registry.accounts import access


def site(request):
    user = getattr(request, "user", None)
    nav = [("web:home", "首页")]
    if access.is_staff_member(user):
        nav.append(("web:stats", "统计"))
        nav.append(("web:review_queue", "审核队列"))
        nav.append(("web:credit_declarations", "学分申报审核"))
        nav.append(("web:credit_compliance", "继续教育达标"))
        nav.append(("web:staff_phone_recovery", "手机号停用处理"))
        nav += [
            ("web:staff_notices", "通知公告"),
            ("web:staff_campaigns", "集中核查"),
            ("web:staff_integrity", "诚信记录"),
        ]
        if access.is_admin(user):
            nav += [
                ("web:review_districts", "各区审核情况"),
                ("web:staff_users", "审核员管理"),
                ("web:imports", "存量数据导入"),
                ("web:api_clients", "API 客户端"),
            ]
        if user.is_staff:
            nav.append(("admin:index", "管理后台"))
        nav.append(("web:contacts", "各区联系方式"))
    else:
        if user is not None and user.is_authenticated:
            nav += [("web:apply", "信息采集"), ("web:my_record", "我的信息"), ("web:my_credits", "继续教育")]
        nav.append(("web:contacts", "咨询电话"))
    if user is not None and user.is_authenticated:
        nav.append(("web:profile", "我的账号"))
    return {
        "bureau_name": settings.REGISTRY_BUREAU_NAME,
        "product_name": "会计人员信息管理系统",
        "nav_items": nav,
        "role_label": user.get_role_display() if user is not None and user.is_authenticated else "",
    }
