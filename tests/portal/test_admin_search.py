"""Every admin list's search answers any text a clerk may type, without a server error.

Claims and payments used to answer a 500 on PostgreSQL for any term that was not a reference or an
ID number: the search gave an empty queryset, and the estimated-count paginator's EXPLAIN of it
returned nothing to parse (finding 3 of issue 15).
"""

import pytest
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from portal.paginator import EstimatedCountPaginator
from training.models import Claim
from workers.models import Worker

ODD_TERMS = [
    "张三",  # a Chinese name
    "BT2025-0000",  # part of a claim reference
    "BT2025-",
    "-00001234",
    "%_'\"\\;--",  # punctuation that means something to SQL or LIKE
    "(*)[]{}<>?!&|^$",
    "12345678901234567890123456789",  # digits beyond any integer column
    "330206199001011",  # the first 15 digits of an ID number
    "x" * 3000,  # very long text
    "  张  ",
    "\u202e名字",
    "名\x00字",  # NUL, which PostgreSQL text cannot hold
]


def changelist_urls():
    urls = []
    for model, model_admin in admin.site._registry.items():
        try:
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        except NoReverseMatch:
            continue
        urls.append((model_admin, url))
    return urls


def search_every_list(client, user):
    client.force_login(user)
    client.raise_request_exception = False  # count every failure, not only the first
    failures = []
    for _model_admin, url in changelist_urls():
        for term in ODD_TERMS:
            response = client.get(url, {"q": term})
            if response.status_code >= 500:
                failures.append((url, term[:40], response.status_code))
    return failures


def test_every_admin_list_answers_odd_search_terms_for_a_city_clerk(client, city_clerk):
    assert len(changelist_urls()) > 10
    assert search_every_list(client, city_clerk) == []


def test_every_admin_list_answers_odd_search_terms_for_a_superuser(client, roles):
    from tests.factories import UserFactory

    boss = UserFactory(username="boss", is_staff=True, is_superuser=True)
    assert search_every_list(client, boss) == []


@pytest.mark.django_db
def test_claim_and_payment_search_for_a_name_finds_nothing_and_shows_the_empty_list(client, city_clerk):
    client.force_login(city_clerk)
    for url in (reverse("admin:training_claim_changelist"), reverse("admin:training_payment_changelist")):
        response = client.get(url, {"q": "张三"})
        assert response.status_code == 200
        assert list(response.context["cl"].result_list) == []


@pytest.mark.postgres
def test_the_estimated_count_of_an_empty_queryset_is_zero_on_postgresql(db):
    for queryset in (Claim.objects.none(), Claim.objects.filter(pk__in=[]), Worker.objects.none()):
        paginator = EstimatedCountPaginator(queryset, 50)
        assert paginator.count == 0
        assert not paginator.is_estimate
        assert list(paginator.page(1).object_list) == []


@pytest.mark.postgres
def test_claim_and_payment_search_answers_on_postgresql(client, city_clerk):
    failures = []
    client.force_login(city_clerk)
    client.raise_request_exception = False
    for name in ("training_claim", "training_payment", "workers_worker", "portal_auditevent"):
        for term in ODD_TERMS:
            response = client.get(reverse(f"admin:{name}_changelist"), {"q": term})
            if response.status_code >= 500:
                failures.append((name, term[:40], response.status_code))
    assert failures == []
