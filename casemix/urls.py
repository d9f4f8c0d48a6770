"""The DIP pages (casemix.views); config/urls.py mounts them under /dip/."""
from django.urls import path

from . import deadline_views, views

app_name = "casemix"
urlpatterns = [
    path("", views.dip_index, name="dip-index"),
    path("lists/", deadline_views.list_queue, name="list-queue"),
    path("<str:region>/<int:year>/", views.dip_year, name="dip-year"),
    path("<str:region>/<int:year>/<str:code>/", views.dip_cases, name="dip-cases"),
]
