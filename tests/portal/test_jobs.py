"""Background jobs: claimed once, progress visible, failures recorded, broker outages reported."""

import datetime

import pytest
from django.utils import timezone

from portal import jobs
from portal.choices import JobStatus
from portal.models import Job


@pytest.fixture(autouse=True)
def _language_back_to_the_default():
    """A request in English leaves English active in this thread: later tests expect the default."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def job(db):
    return jobs.job_create(by=None, kind="test.kind", params={"n": 1})


def test_a_job_is_claimed_only_once(job):
    assert jobs.job_claim(job.pk) is not None
    assert jobs.job_claim(job.pk) is None
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING


def test_running_a_job_twice_does_the_work_once(job):
    calls = []
    jobs.job_run(job.pk, lambda j: calls.append(j.pk) or {"done": True})
    jobs.job_run(job.pk, lambda j: calls.append(j.pk) or {"done": True})
    assert calls == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.result) == (JobStatus.SUCCEEDED, {"done": True})


def test_a_failing_job_records_its_error(job):
    def boom(_):
        raise ValueError("bad cell")

    with pytest.raises(ValueError):
        jobs.job_run(job.pk, boom)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "bad cell" in job.error


def test_progress_is_visible_while_the_job_writes_in_one_transaction(job):
    from django.db import transaction

    jobs.job_claim(job.pk)
    with transaction.atomic():
        jobs.job_progress(job.pk, checked=500, written=0, bad=2)
        assert jobs.job_read_progress(Job.objects.get(pk=job.pk)) == {"checked": 500, "written": 0, "bad": 2}


def test_stale_running_jobs_are_failed_by_the_reaper(job):
    jobs.job_claim(job.pk)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=2))
    fresh = jobs.job_create(by=None, kind="test.kind")
    jobs.job_claim(fresh.pk)
    assert jobs.jobs_reap_stale(older_than_seconds=3600) == 1
    assert Job.objects.get(pk=job.pk).status == JobStatus.FAILED
    assert Job.objects.get(pk=fresh.pk).status == JobStatus.RUNNING


class _BrokenTask:
    def apply_async(self, **kwargs):
        from kombu.exceptions import OperationalError

        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")


def test_a_job_that_cannot_be_queued_is_failed_and_reported(
    job, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with pytest.raises(jobs.JobNotQueued), django_capture_on_commit_callbacks(execute=True):
        jobs.job_submit(job, _BrokenTask())
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error


def test_the_job_page_shows_progress_to_its_owner_only(client, beilun_clerk, haishu_clerk, settings):
    from tests.conftest import PASSWORD

    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker and workers: the page follows the job

    job = jobs.job_create(by=beilun_clerk, kind="import.workers", district_id=beilun_clerk.district_id)
    jobs.job_claim(job.pk)
    jobs.job_progress(job.pk, total=200, checked=50, written=0, bad=1)
    client.login(username=beilun_clerk.username, password=PASSWORD)
    page = client.get(f"/jobs/{job.pk}/")
    assert page.status_code == 200
    assert 'http-equiv="refresh"' in page.content.decode()
    assert client.get(f"/jobs/{job.pk}/", HTTP_ACCEPT="application/json").json()["progress"]["checked"] == 50
    client.logout()
    client.login(username=haishu_clerk.username, password=PASSWORD)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404


# --- My imports and exports (/jobs/) -----------------------------------------------------------------------


def _login(client, user, settings):
    from tests.conftest import PASSWORD

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert client.login(username=user.username, password=PASSWORD)


def test_the_job_page_says_jobs_run_inline_on_the_embedded_default(client, beilun_clerk, settings):
    job = jobs.job_create(by=beilun_clerk, kind="export.workers")
    jobs.job_claim(job.pk)
    jobs.job_progress(job.pk, total=200, written=50)
    _login(client, beilun_clerk, settings)
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "run inside the request on this installation" in html
    assert "<progress" not in html and 'http-equiv="refresh"' not in html
    listing = client.get("/jobs/").content.decode()
    assert "run inside the request on this installation" in listing and "<progress" not in listing


def test_my_jobs_lists_only_mine_newest_first_with_status_counts_and_links(
    client, beilun_clerk, haishu_clerk, settings, tmp_path
):
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    settings.CELERY_TASK_ALWAYS_EAGER = False
    done = jobs.job_create(by=beilun_clerk, kind="import.workers", params={"file_name": "职工-一月.xlsx"})
    jobs.job_finish(
        done.pk,
        result={"phase": "written", "new": 3, "updated": 1, "unchanged": 40, "bad": 2, "total": 46},
        output=ContentFile(b"xlsx", name="report.xlsx"),
    )
    running = jobs.job_create(by=beilun_clerk, kind="export.workers", params={"file_name": ""})
    jobs.job_claim(running.pk)
    jobs.job_progress(running.pk, total=200, written=50)
    jobs.job_create(by=haishu_clerk, kind="import.workers", params={"file_name": "海曙.xlsx"})
    _login(client, beilun_clerk, settings)
    html = client.get("/jobs/").content.decode()
    assert "职工-一月.xlsx" in html and "海曙.xlsx" not in html
    assert html.index(f"#{running.pk}") < html.index(f"#{done.pk}")  # newest first
    assert "<dt>Unchanged</dt><dd>40</dd>" in html and f"/jobs/{done.pk}/download/" in html
    assert '<progress max="100" value="25"' in html and 'http-equiv="refresh"' in html
    imports = client.get("/jobs/?kind=import").content.decode()
    assert f"#{done.pk}" in imports and f"#{running.pk}" not in imports
    failed = client.get("/jobs/?status=failed").content.decode()
    assert f"#{done.pk}" not in failed and "No job matches these filters" in failed


def test_my_jobs_is_paginated(client, beilun_clerk, settings):
    for _n in range(30):
        jobs.job_create(by=beilun_clerk, kind="export.workers")
    _login(client, beilun_clerk, settings)
    first = client.get("/jobs/").content.decode()
    assert "Page 1 of 2" in first and "page=2" in first
    assert client.get("/jobs/?page=2").content.decode().count("Export #") == 5


def test_my_jobs_when_empty_says_where_imports_start(client, beilun_clerk, settings):
    _login(client, beilun_clerk, settings)
    html = client.get("/jobs/").content.decode()
    assert "You have not imported or exported anything yet" in html
    assert "/admin/workers/worker/import/" in html


def test_my_jobs_is_in_the_navigation_for_staff_only(client, beilun_clerk, worker_user, settings):
    _login(client, beilun_clerk, settings)
    assert (
        '<a href="/jobs/" aria-current="page">My imports and exports</a>'
        in client.get("/jobs/").content.decode()
    )
    client.logout()
    _login(client, worker_user, settings)
    assert client.get("/jobs/").status_code == 403
