"""The job page and the charts in a real browser: the daily job's page follows a running job by htmx polling
until it is done, and the institution page draws its ECharts charts from static."""
from __future__ import annotations

from django.utils import timezone

from claims.models import DailyJob, DailyJobChunk, JobStatus

from .test_browser import _login, browser  # noqa: F401 - the Playwright fixture and the sign-in step
from .test_jobs import running_job


def test_the_job_page_follows_a_running_job_until_it_is_done(transactional_db, live_server, world, browser):  # noqa: F811
    job = running_job(world)
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    _login(page, live_server.url, world.caseworker.username)
    page.goto(f"{live_server.url}/ws/jobs/daily/{job.pk}/")
    assert "2/4" in page.inner_text("#job-progress")

    # the worker finishes the job; the page, left alone, shows it on its next poll and stops polling
    DailyJobChunk.objects.filter(job=job).update(status=JobStatus.DONE, lease_owner="", lease_expires_at=None)
    DailyJob.objects.filter(pk=job.pk).update(status=JobStatus.DONE, chunks_done=4, finished_at=timezone.now())
    page.wait_for_function("document.querySelector('#job-progress').innerText.includes('4/4')", timeout=15000)
    assert "已完成" in page.inner_text("#job-progress")
    assert page.locator("#job-progress[hx-trigger]").count() == 0


def test_the_institution_page_draws_its_charts(transactional_db, live_server, world, browser):  # noqa: F811
    settlement = world.settled_visit()
    world.record(settlement, {"rule_code": "DUP-01", "amount_fen": 5000})
    page = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN").new_page()
    _login(page, live_server.url, world.caseworker.username)
    page.goto(f"{live_server.url}/ws/institutions/{world.inst_a.fixmedins_code}/?year=2026")
    page.wait_for_selector("[data-chart='inst-months-data'] canvas", timeout=15000)
    assert page.locator("[data-chart='inst-hits-data'] canvas").count() == 1
