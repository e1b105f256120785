"""My imports and exports (/jobs/) in Chromium: under the CSP, a running job's bar refreshes with no script."""

import pytest

from portal import jobs
from portal.choices import Role
from tests.browser.helpers import DESKTOP
from tests.browser.test_csp import policy_of, violations, watched_page
from tests.browser.test_dashboard import sign_in
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_my_jobs_shows_a_refreshing_progress_bar_under_the_policy(live_server, browser, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False  # a broker and workers: progress to follow
    clerk = UserFactory(username="jobs_clerk", role=Role.CITY_STAFF)
    job = jobs.job_create(by=clerk, kind="import.workers", params={"file_name": "职工-三月.xlsx"})
    jobs.job_claim(job.pk)
    jobs.job_progress(job.pk, stage="checking", total=400, checked=100, bad=0, written=0, processed=0)
    page = watched_page(browser)
    page.set_viewport_size(DESKTOP)
    sign_in(page, live_server.url, "jobs_clerk")
    policy_of(page.goto(f"{live_server.url}/jobs/"))
    assert page.locator("progress").first.get_attribute("value") == "25"
    assert page.locator("meta[http-equiv='refresh']").count() == 1
    assert page.get_by_text("职工-三月.xlsx").is_visible()
    assert page.locator("nav.site-nav a[href='/jobs/']").count() == 1
    # The job moves on; the page shows it without anyone reloading it.
    jobs.job_progress(job.pk, stage="checking", total=400, checked=300, bad=0, written=0, processed=0)
    page.wait_for_selector("progress[value='75']", timeout=15_000)  # a selector: no eval under the CSP
    assert violations(page) == []
