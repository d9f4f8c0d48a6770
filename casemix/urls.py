"""The DIP pages (casemix.views); config/urls.py mounts them under /dip/."""
from django.urls import path

from . import views

app_name = "casemix"
urlpatterns = [
    path("", views.dip_index, name="dip-index"),
    path("<str:region>/<int:year>/", views.dip_year, name="dip-year"),
    path("<str:region>/<int:year>/<str:code>/", views.dip_cases, name="dip-cases"),
    path("<str:region>/<int:year>/<str:code>/<str:setl_id>/", views.dip_case, name="dip-case"),
]
