from django.urls import path
from rest_framework.routers import SimpleRouter

from casemix.api import special, views

app_name = "casemix-api"

router = SimpleRouter()
router.register("dip-cases", views.DipCaseViewSet, basename="dip-case")
router.register("special-cases", special.SpecialCaseViewSet, basename="special-case")

urlpatterns = [
    path("settlements/<str:setl_id>/setl-list/", views.SettlementListView.as_view(), name="settlement-list"),
    *router.urls,
]
