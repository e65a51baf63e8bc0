"""A URL set with a view that crashes, for the 500 page tests (tests/web/test_words.py)."""

from django.urls import include, path


def crash(request):
    raise RuntimeError("boom")


urlpatterns = [path("crash/", crash), path("", include("config.urls"))]
