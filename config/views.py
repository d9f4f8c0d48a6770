from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from claims.permissions import is_institution_user
from config.stats import platform_counts


@require_safe
def home(request):
    counts = platform_counts() if request.user.is_authenticated else []
    return render(request, "home.html", {"counts": counts})


@login_required
@require_safe
def start(request):
    """Where a login lands (LOGIN_REDIRECT_URL): an institution's user in the portal, the bureau's staff in
    the workspace."""
    return redirect("portal:home" if is_institution_user(request.user) else "workspace:dashboard")


@never_cache
@require_safe
def healthz(request):
    """Liveness and database readiness for load balancers and docker compose: 200 "ok" or 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
