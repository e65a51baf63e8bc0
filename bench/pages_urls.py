"""The project's URLs plus /bench/trivial: a JSON view with no database work, through the same
middleware, the baseline every page of bench/pages_bench.py is compared with on the same server."""

from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def trivial(request):
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/trivial", trivial), *project_urlpatterns]
