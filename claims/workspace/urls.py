"""The claims pages of the workspace; config/urls.py mounts them under /ws/ in the "workspace" namespace,
with the review pages (queue, items, appeals)."""
from django.urls import path

from claims.workspace import chronic, jobs, users, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("persons/<str:psn_no>/", views.person_detail, name="person"),
    path("visits/<str:mdtrt_id>/", views.visit_detail, name="visit"),
    path("institutions/<str:code>/", views.institution_detail, name="institution"),
    path("search/", views.search, name="search"),
    path("jobs/", jobs.job_list, name="jobs"),
    path("jobs/daily/start/", jobs.start_daily, name="daily-job-start"),
    path("jobs/daily/<int:pk>/", jobs.daily_detail, name="daily-job"),
    path("jobs/uploads/<int:pk>/", jobs.upload_detail, name="upload-job"),
    path("jobs/uploads/<int:pk>/retry/", jobs.upload_retry, name="upload-job-retry"),
]

# The user pages (a bureau administrator: claims.permissions.can_manage_users).
urlpatterns += [
    path("users/", users.user_list, name="users"),
    path("users/new/", users.user_create, name="user-create"),
    path("users/<int:pk>/", users.user_detail, name="user"),
    path("users/<int:pk>/roles/", users.user_roles, name="user-roles"),
    path("users/<int:pk>/active/", users.user_active, name="user-active"),
]

# 门慢特 qualification (insurance.chronic_services): apply, the pending list, decide (four eyes), revoke.
urlpatterns += [
    path("chronic/", chronic.chronic_list, name="chronic-list"),
    path("chronic/apply/", chronic.chronic_apply, name="chronic-apply"),
    path("chronic/<int:pk>/", chronic.chronic_detail, name="chronic"),
    path("chronic/<int:pk>/decide/", chronic.chronic_decide, name="chronic-decide"),
    path("chronic/<int:pk>/revoke/", chronic.chronic_revoke, name="chronic-revoke"),
    path("chronic/evidence/<int:pk>/", chronic.chronic_evidence, name="chronic-evidence"),
]
