"""The site's URLs plus one view that fails, for the 500 page test (tests/workspace/test_error_pages.py)."""
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns


def boom(request):
    raise RuntimeError("a bug")


urlpatterns = [*site_urlpatterns, path("boom/", boom)]
