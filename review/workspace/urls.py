"""The review pages of the workspace; config/urls.py mounts them under /ws/ in the "workspace" namespace,
with the claims pages (dashboard, person, institution, search), so that every page keeps its URL name."""
from django.urls import path

from review.workspace import queue, views

urlpatterns = [
    path("queue/", queue.queue, name="queue"),
    path("queue/bulk/", queue.queue_bulk, name="queue-bulk"),
    path("queue/export.xlsx", queue.queue_export, name="queue-export"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/confirm/", views.item_confirm, name="item-confirm"),
    path("items/<int:pk>/dismiss/", views.item_dismiss, name="item-dismiss"),
    path("appeals/", views.appeal_list, name="appeals"),
    path("appeals/<int:pk>/", views.appeal_detail, name="appeal"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal-decide"),
]
