"""The DIP pages (casemix.views); config/urls.py mounts them under /dip/."""
from django.urls import path

from . import deadline_views, special_views, views

app_name = "casemix"
urlpatterns = [
    path("", views.dip_index, name="dip-index"),
    path("special-cases/", special_views.special_list, name="special-cases"),
    path("special-cases/ask/", special_views.special_ask, name="special-case-ask"),
    path("special-cases/<int:pk>/", special_views.special_detail, name="special-case"),
    path("special-cases/<int:pk>/propose/", special_views.special_propose, name="special-case-propose"),
    path("special-cases/<int:pk>/decide/", special_views.special_decide, name="special-case-decide"),
    path("special-cases/<int:pk>/withdraw/", special_views.special_withdraw, name="special-case-withdraw"),
    path("lists/", deadline_views.list_queue, name="list-queue"),
    path("<str:region>/<int:year>/", views.dip_year, name="dip-year"),
    path("<str:region>/<int:year>/<str:code>/", views.dip_cases, name="dip-cases"),
    path("<str:region>/<int:year>/<str:code>/<str:setl_id>/", views.dip_case, name="dip-case"),
]
