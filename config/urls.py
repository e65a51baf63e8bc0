from django.contrib import admin
from django.urls import include, path
from ninja.openapi.views import openapi_view

from registry.api.main import api
from registry.web import views as web_views

admin.site.site_header = "会计人员信息管理系统 · 管理后台"
admin.site.site_title = "管理后台"
admin.site.index_title = "代码表、日历与系统管理"

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("api/docs", lambda request: openapi_view(request, api), name="api-docs"),
    path("", include("registry.web.urls")),
]
