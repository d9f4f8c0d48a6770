"""The job pages of the workspace (/ws/jobs/): the daily jobs and the upload jobs, their state and progress,
polled with htmx while they run; and for supervisors (claims.permissions.can_run_jobs) the buttons that start the
daily job of a business date and retry a failed upload job, through claims.tasks (enqueued on commit).

The reads are claims.job_selectors; the checks are the services' (ServiceError names the field)."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from claims import job_selectors as jobs
from claims import tasks
from claims.errors import ServiceError
from claims.models import DailyJob, UploadJob
from claims.permissions import can_run_jobs, can_view_jobs
from claims.workspace.forms import StartDailyJobForm
from claims.workspace.tables import DailyJobTable, UploadJobTable
from review.workspace.pages import paginate


def _require(predicate, user) -> None:
    if not predicate.test(user):
        raise PermissionDenied(_("Only a supervisor may start or retry jobs.") if predicate is can_run_jobs
                               else _("Only bureau staff may use the workspace."))


def _list_context(request, form: StartDailyJobForm | None = None) -> dict:
    daily_table = DailyJobTable(jobs.daily_jobs(), prefix="d-")
    upload_table = UploadJobTable(jobs.upload_jobs(), prefix="u-")
    for table in (daily_table, upload_table):
        paginate(request, table)
    return {"daily_table": daily_table, "upload_table": upload_table, "active": jobs.any_active(),
            "can_run": can_run_jobs.test(request.user), "form": form or StartDailyJobForm()}


@login_required
@require_safe
def job_list(request):
    """Both lists; an htmx poll (while a job is active) gets the lists alone."""
    _require(can_view_jobs, request.user)
    context = _list_context(request)
    if request.htmx:
        return render(request, "workspace/jobs/_lists.html", context)
    return render(request, "workspace/jobs/list.html", context)


@login_required
@require_POST
def start_daily(request):
    """Start the daily job of the posted business date (supervisors): 400 with the field's error when the date is
    missing, malformed, in the future or its job already queued, running or done."""
    _require(can_run_jobs, request.user)
    form = StartDailyJobForm(request.POST)
    if form.is_valid():
        run_date = form.cleaned_data["run_date"]
        try:
            tasks.request_daily_job(run_date, user=request.user)
        except ServiceError as exc:
            for e in exc.errors:
                form.add_error(e["field"] if e["field"] in form.fields else None, e["message"])
        else:
            messages.success(request, _("The daily job of %(d)s was queued.") % {"d": run_date.isoformat()})
            return redirect("workspace:jobs")
    return render(request, "workspace/jobs/list.html", _list_context(request, form), status=400)


@login_required
@require_safe
def daily_detail(request, pk: int):
    _require(can_view_jobs, request.user)
    context = jobs.daily_job_progress(get_object_or_404(DailyJob, pk=pk))
    template = "workspace/jobs/_daily_progress.html" if request.htmx else "workspace/jobs/daily.html"
    return render(request, template, {**context, "can_run": can_run_jobs.test(request.user)})


@login_required
@require_safe
def upload_detail(request, pk: int):
    _require(can_view_jobs, request.user)
    context = jobs.upload_job_progress(get_object_or_404(UploadJob.objects.select_related("institution"), pk=pk))
    template = "workspace/jobs/_upload_progress.html" if request.htmx else "workspace/jobs/upload.html"
    return render(request, template, {**context, "can_run": can_run_jobs.test(request.user)})


@login_required
@require_POST
def upload_retry(request, pk: int):
    """Retry an upload job that failed for an internal reason (supervisors); 409 for any other job."""
    _require(can_run_jobs, request.user)
    job = get_object_or_404(UploadJob, pk=pk)
    if tasks.resubmit_upload_job(job, user=request.user):
        messages.success(request, _("Upload job #%(n)d was queued again.") % {"n": job.pk})
        return redirect("workspace:upload-job", pk=job.pk)
    context = jobs.upload_job_progress(job)
    return render(request, "workspace/jobs/upload.html", {
        **context, "can_run": True,
        "retry_error": _("Only an upload job that failed for an internal reason can be retried; a file with bad "
                         "rows would be rejected again: correct it and upload it anew.")}, status=409)
