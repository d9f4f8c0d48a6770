"""The institution portal under /portal/ (config/urls.py), URL namespace "portal"."""
from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("visits/<str:mdtrt_id>/", views.visit_detail, name="visit"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/appeal/", views.item_appeal, name="item-appeal"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("tokens/", views.tokens, name="tokens"),
    path("tokens/new/", views.token_create, name="token-create"),
    path("tokens/<int:user_id>/revoke/", views.token_revoke, name="token-revoke"),
]
