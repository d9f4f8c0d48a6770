"""The institution portal under /portal/ (config/urls.py), URL namespace "portal"."""
from django.urls import path

from portal import chronic, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("visits/<str:mdtrt_id>/", views.visit_detail, name="visit"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/appeal/", views.item_appeal, name="item-appeal"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("chronic/", chronic.chronic_home, name="chronic"),
    path("chronic/<int:pk>/", chronic.chronic_detail, name="chronic-detail"),
    path("chronic/evidence/<int:pk>/", chronic.chronic_evidence, name="chronic-evidence"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/new/", views.token_create, name="token-create"),
    path("tokens/<int:user_id>/revoke/", views.token_revoke, name="token-revoke"),
]
