from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from claims.workspace import urls as claims_workspace
from config import views
from review.workspace import urls as review_workspace

# One workspace under /ws/ and one URL namespace ("workspace"), made of two apps' pages: the claims
# pages (dashboard, person, institution, search) and the review pages (queue, items, appeals).
WORKSPACE = (claims_workspace.urlpatterns + review_workspace.urlpatterns, "workspace")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("start/", views.start, name="start"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("fund/", include("fund_budget.urls")),
    path("dip/", include("casemix.urls")),
    path("ws/", include(WORKSPACE)),
    path("portal/", include("portal.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/v1/", include("claims.api.urls")),
    path("api/v1/", include("review.api.urls")),
    path("api/v1/", include("casemix.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/schema/ui/", SpectacularSwaggerView.as_view(url_name="schema"), name="schema-ui"),
]
