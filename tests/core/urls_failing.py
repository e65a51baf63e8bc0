"""The project's URLs plus one view that fails, for the logging tests."""

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def explode(request):
    raise RuntimeError("boom: an unexpected failure inside a view")


urlpatterns = [path("test-explode", explode), *project_urlpatterns]
