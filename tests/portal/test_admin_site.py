"""The admin's menu in daily-use order, with the machinery (schedules, task results, lock-outs, devices)
shown to superusers only."""

import pytest

from portal.adminsite import INTERNAL_APPS
from portal.models import User
from tests.conftest import PASSWORD


def menu(client, user) -> list[tuple[str, list[str]]]:
    assert client.login(username=user.username, password=PASSWORD)
    page = client.get("/admin/")
    assert page.status_code == 200
    return [
        (app["app_label"], [m["object_name"].lower() for m in app["models"]])
        for app in page.context["app_list"]
    ]


def test_the_menu_starts_with_the_registry_claims_and_cases(client, city_clerk):
    apps = menu(client, city_clerk)
    assert [label for label, _models in apps][:3] == ["workers", "training", "mediation"]
    models = dict(apps)
    assert models["workers"][0] == "worker"
    assert models["training"][0] == "claim"
    assert models["mediation"][0] == "disputecase"


def test_clerks_do_not_see_the_scheduling_internals(client, city_clerk):
    assert city_clerk.has_perm("django_celery_beat.view_periodictask")  # allowed, yet not in their menu
    labels = {label for label, _models in menu(client, city_clerk)}
    assert not labels & INTERNAL_APPS
    assert client.get("/admin/django_celery_beat/").status_code == 404
    assert client.get("/admin/django_celery_results/").status_code == 404


@pytest.mark.django_db
def test_superusers_still_see_them(client, roles):
    root = User.objects.create_superuser("root", password=PASSWORD)
    labels = {label for label, _models in menu(client, root)}
    assert {"django_celery_beat", "django_celery_results"} <= labels
