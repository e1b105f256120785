"""A "recompute now" on the board for city staff only (issue 17, item 8): a POST with its CSRF token queues
a run through the engine's task, the board shows the run's status, anyone else gets a 403."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from indicators.choices import RunStatus, Trigger
from indicators.models import IndicatorRun
from indicators.periods import Period
from tests.indicators import test_dashboard
from tests.indicators.test_dashboard import login

pytestmark = pytest.mark.django_db
city = test_dashboard.city
URL = "/dashboard/recompute/"


def test_city_staff_recompute_the_shown_period_and_see_the_runs_status(
    client, city_clerk, city, django_capture_on_commit_callbacks
):
    before = set(IndicatorRun.objects.values_list("pk", flat=True))
    login(client, city_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            URL, {"period": "2025Q3", "indicator": "skilled_workers", "district": "330206"}
        )
    run = IndicatorRun.objects.exclude(pk__in=before).get()
    assert response.status_code == 302
    assert response.url == f"/dashboard/330206/?period=2025Q3&indicator=skilled_workers&run={run.pk}"
    assert (run.period, run.trigger, run.triggered_by) == ("2025Q3", Trigger.STAFF, city_clerk)
    assert run.status == RunStatus.SUCCEEDED  # the task ran inline: no broker in the tests

    page = client.get(response.url)
    html = page.content.decode()
    assert 'id="run-status"' in html and f"#{run.pk}" in html and str(RunStatus.SUCCEEDED.label) in html
    assert page.context["board"].run.pk == run.pk  # the board shows the new snapshot at once


def test_a_run_still_waiting_for_a_worker_says_so_with_a_link_to_look_again(client, city_clerk, city):
    # The task is queued after the commit; here it never runs, as when every worker is busy.
    response = login(client, city_clerk).post(URL, {"period": "2025Q3"})
    run = IndicatorRun.objects.get(trigger=Trigger.STAFF)
    assert run.status == RunStatus.QUEUED
    html = client.get(response.url).content.decode()
    assert (
        str(RunStatus.QUEUED.label) in html and f'href="/dashboard/?period=2025Q3&amp;run={run.pk}"' in html
    )


def test_the_button_is_a_csrf_protected_post_form_for_city_staff_only(
    client, city_clerk, beilun_official, city
):
    html = login(client, city_clerk).get("/dashboard/", {"period": "2025Q3"}).content.decode()
    assert f'<form class="recompute-form no-print" method="post" action="{URL}">' in html
    assert 'name="csrfmiddlewaretoken"' in html and 'name="period" value="2025Q3"' in html
    client.logout()
    html = login(client, beilun_official).get("/dashboard/330206/", {"period": "2025Q3"}).content.decode()
    assert URL not in html


@pytest.mark.parametrize("persona", ["beilun_official", "beilun_clerk", "worker_user"])
def test_everyone_else_is_refused_with_a_403(client, persona, request, city):
    user = request.getfixturevalue(persona)
    response = login(client, user).post(URL, {"period": "2025Q3"})
    assert response.status_code == 403
    assert not IndicatorRun.objects.filter(trigger=Trigger.STAFF).exists()


def test_no_run_without_a_post_a_token_or_a_sign_in(client, city_clerk, city):
    assert client.post(URL, {"period": "2025Q3"}).status_code == 302  # to the sign-in page
    assert login(client, city_clerk).get(URL, {"period": "2025Q3"}).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(city_clerk)
    assert strict.post(URL, {"period": "2025Q3"}).status_code == 403
    assert not IndicatorRun.objects.filter(trigger=Trigger.STAFF).exists()


def test_a_period_still_to_come_or_a_bad_one_is_not_computed(client, city_clerk, db):
    login(client, city_clerk)
    later = Period.containing(timezone.localdate() + datetime.timedelta(days=400), "year")
    response = client.post(URL, {"period": later.code}, follow=True)
    assert response.status_code == 200 and later.code in response.content.decode()
    response = client.post(URL, {"period": "2025Q9"}, follow=True)
    assert response.status_code == 200
    assert not IndicatorRun.objects.exists()
