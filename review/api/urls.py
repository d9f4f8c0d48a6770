from rest_framework.routers import SimpleRouter

from review.api import views

app_name = "review-api"

router = SimpleRouter()
router.register("suspect-items", views.SuspectItemViewSet, basename="suspect-item")

urlpatterns = router.urls
