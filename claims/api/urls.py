from django.urls import path
from rest_framework.routers import SimpleRouter

from claims.api import quarantine, views

app_name = "claims-api"

router = SimpleRouter()
router.register("persons", views.PersonViewSet, basename="person")
router.register("visits", views.VisitViewSet, basename="visit")
router.register("settlements", views.SettlementViewSet, basename="settlement")
router.register("upload-jobs", views.UploadJobViewSet, basename="upload-job")
router.register("quarantined-visits", quarantine.QuarantinedVisitViewSet, basename="quarantined-visit")

urlpatterns = [
    path("visits/<str:mdtrt_id>/fee-lines/", views.VisitFeeLinesView.as_view(), name="visit-fee-lines"),
    path("reconciliation/", views.ReconciliationView.as_view(), name="reconciliation"),
    path("upload-jobs/<int:pk>/errors.csv", views.UploadJobViewSet.as_view({"get": "errors_csv"}),
         name="upload-job-errors"),
    *router.urls,
]
