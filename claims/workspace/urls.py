from django.urls import path

from claims.workspace import views

app_name = "workspace"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("queue/", views.queue, name="queue"),
    path("items/<int:pk>/", views.item_detail, name="item"),
    path("items/<int:pk>/confirm/", views.item_confirm, name="item-confirm"),
    path("items/<int:pk>/dismiss/", views.item_dismiss, name="item-dismiss"),
    path("appeals/", views.appeal_list, name="appeals"),
    path("appeals/<int:pk>/", views.appeal_detail, name="appeal"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal-decide"),
    path("persons/<str:psn_no>/", views.person_detail, name="person"),
    path("institutions/<str:code>/", views.institution_detail, name="institution"),
    path("search/", views.search, name="search"),
]
