"""Large imports get the same care as small ones: checked in the background, previewed, then written on confirm."""

import io

import pytest
from openpyxl import load_workbook

from portal.choices import JobStatus
from portal.models import Job
from portal.spreadsheets import import_retry
from tests.factories import EnterpriseFactory, district
from tests.workers.test_import import login, upload, worker_row, xlsx
from workers.models import Worker

URL = "/admin/workers/worker/import/"


@pytest.fixture(autouse=True)
def _language_back_to_the_default():
    """A request in English leaves English active in this thread: later tests expect the default."""
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def firms(db):
    return {"beilun": EnterpriseFactory(district=district("330206"))}


@pytest.fixture
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture
def big(settings):
    settings.IMPORT_BACKGROUND_ROWS = 3


def _upload(client, content, capture, **data):
    with capture(execute=True):
        return client.post(URL, {"file": upload("职工.xlsx", content), **data})


def test_a_big_file_is_checked_in_the_background_and_previewed_before_anything_is_written(
    client, beilun_clerk, firms, big, english, django_capture_on_commit_callbacks
):
    login(client, beilun_clerk)
    content = xlsx([worker_row(firms["beilun"], n) for n in range(1, 8)])
    response = _upload(client, content, django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    # Checked, nothing written, waiting for the clerk.
    assert not Worker.objects.exists()
    assert job.status == JobStatus.PENDING and job.result["phase"] == "checked"
    assert (job.result["new"], job.result["bad"]) == (7, 0)
    assert job.progress["checked"] == 7 and job.input_file
    # The job's page sends its owner to the same preview page as a small file's.
    page = client.get(f"/jobs/{job.pk}/")
    preview_url = f"/admin/workers/worker/import/{job.pk}/"
    assert page.status_code == 302 and page["Location"] == preview_url
    html = client.get(preview_url).content.decode()
    assert "职工1" in html and 'name="confirm"' in html
    # Confirming writes it (in the background; inline on the embedded default), nothing uploaded again.
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(preview_url, {"confirm": "1"})
    assert confirmed.status_code == 302 and confirmed["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.result["phase"] == "written"
    assert Worker.objects.count() == 7 and not job.input_file
    summary = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "<dt>New</dt><dd>7</dd>" in summary and "7 rows were written" in summary


def test_a_big_file_with_bad_rows_offers_the_report_and_the_valid_rows_only(
    client, beilun_clerk, firms, big, django_capture_on_commit_callbacks
):
    login(client, beilun_clerk)
    rows = [worker_row(firms["beilun"], n) for n in range(1, 6)]
    rows.append(worker_row(firms["beilun"], 6, 手机号="1"))
    _upload(client, xlsx(rows), django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert job.status == JobStatus.PENDING and job.result["bad"] == 1 and job.output_file
    preview_url = f"/admin/workers/worker/import/{job.pk}/"
    html = client.get(preview_url).content.decode()
    assert f"/jobs/{job.pk}/download/" in html and 'name="valid_only"' in html
    report = client.get(f"/jobs/{job.pk}/download/")
    assert load_workbook(io.BytesIO(b"".join(report.streaming_content))).worksheets[0].max_row == 2
    assert not Worker.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(preview_url, {"valid_only": "1"})
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and Worker.objects.count() == 5
    assert (job.result["new"], job.result["bad"]) == (5, 1)


def test_reimporting_a_big_file_reports_unchanged_rows_not_written_ones(
    client, beilun_clerk, firms, big, english, django_capture_on_commit_callbacks
):
    login(client, beilun_clerk)
    content = xlsx([worker_row(firms["beilun"], n) for n in range(1, 6)])
    for _round in range(2):
        _upload(client, content, django_capture_on_commit_callbacks)
        job = Job.objects.order_by("-pk").first()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/admin/workers/worker/import/{job.pk}/", {"confirm": "1"})
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert (job.result["new"], job.result["updated"], job.result["unchanged"]) == (0, 0, 5)
    assert job.result["written"] == 0 and job.progress["written"] == 0
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    assert "<dt>Unchanged</dt><dd>5</dd>" in page and "0 rows were written" in page


def test_a_small_reimport_says_unchanged_on_the_result(client, beilun_clerk, firms, english):
    login(client, beilun_clerk)
    content = xlsx([worker_row(firms["beilun"], n) for n in range(1, 3)])
    for _round in range(2):
        response = client.post(URL, {"file": upload("职工.xlsx", content)})
        confirmed = client.post(response["Location"], {"confirm": "1"}, follow=True)
    job = Job.objects.order_by("-pk").first()
    assert (job.result["unchanged"], job.result["written"]) == (2, 0)
    assert "0 new, 0 updated, 2 unchanged" in confirmed.content.decode()


def test_the_check_runs_once_and_a_confirm_is_needed_before_the_write(
    client, beilun_clerk, firms, big, django_capture_on_commit_callbacks
):
    """Retrying a checked job, or running its check again, never writes without the clerk's confirm."""
    login(client, beilun_clerk)
    _upload(
        client,
        xlsx([worker_row(firms["beilun"], n) for n in range(1, 6)]),
        django_capture_on_commit_callbacks,
    )
    job = Job.objects.get()
    from portal.spreadsheets import import_check_run

    import_check_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and not Worker.objects.exists()
    assert not import_retry(job.pk)  # not failed: nothing to retry
    assert not Worker.objects.exists()


def test_a_check_whose_worker_died_is_retried_as_a_check(
    client, beilun_clerk, firms, big, django_capture_on_commit_callbacks
):
    login(client, beilun_clerk)
    content = xlsx([worker_row(firms["beilun"], n) for n in range(1, 6)])
    job_count = Job.objects.count()
    from portal.spreadsheets import import_job_create

    job = import_job_create(
        by=beilun_clerk,
        importer_key="workers",
        upload=upload("职工.xlsx", content),
        valid_only=False,
        check_first=True,
    )
    assert Job.objects.count() == job_count + 1
    Job.objects.filter(pk=job.pk).update(status=JobStatus.FAILED, error="worker died")
    with django_capture_on_commit_callbacks(execute=True):
        assert import_retry(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING and job.result["phase"] == "checked"
    assert not Worker.objects.exists()


def test_another_clerk_cannot_see_or_confirm_a_checked_job(
    client, beilun_clerk, haishu_clerk, firms, big, django_capture_on_commit_callbacks
):
    login(client, beilun_clerk)
    _upload(
        client,
        xlsx([worker_row(firms["beilun"], n) for n in range(1, 6)]),
        django_capture_on_commit_callbacks,
    )
    job = Job.objects.get()
    client.logout()
    login(client, haishu_clerk)
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.post(f"/admin/workers/worker/import/{job.pk}/", {"confirm": "1"}).status_code == 404
    assert not Worker.objects.exists()
