"""The API base: authentication, scope, pagination, the schema and one error shape."""

import pytest
from django.core.exceptions import ValidationError as DjangoValidationError
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.test import APIClient

from portal.api.errors import exception_handler
from portal.models import District
from tests.conftest import api_key_for


@pytest.fixture
def api():
    return APIClient()


def test_anonymous_requests_get_the_error_shape(api, db):
    response = api.get("/api/districts/")
    assert response.status_code in (401, 403)
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == "not_authenticated"


def test_token_authentication_lists_the_districts(api, beilun_official):
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_key_for(beilun_official)}")
    response = api.get("/api/districts/")
    assert response.status_code == 200
    codes = [row["code"] for row in response.json()["results"]]
    assert codes == sorted(codes) and len(codes) == 10
    assert response.json()["results"][0]["name"] == "海曙区"


def test_cursor_pagination_walks_every_row_once(api, city_clerk):
    api.force_authenticate(city_clerk)
    seen, url = [], "/api/districts/?page_size=3"
    while url:
        page = api.get(url).json()
        assert "count" not in page  # cursor pages never COUNT(*) the table
        seen += [row["code"] for row in page["results"]]
        url = page["next"]
    assert len(seen) == 10 and len(set(seen)) == 10


def test_filter_by_code(api, city_clerk):
    api.force_authenticate(city_clerk)
    rows = api.get("/api/districts/?code=330206").json()["results"]
    assert [r["name_en"] for r in rows] == ["Beilun"]


def test_reference_data_cannot_be_written_through_the_api(api, city_clerk):
    api.force_authenticate(city_clerk)
    response = api.post(
        "/api/districts/", {"code": "330299", "name": "x", "name_en": "x", "kind": "district"}
    )
    assert response.status_code in (403, 405)
    assert response.json()["error"]["code"] in ("permission_denied", "method_not_allowed")
    assert not District.objects.filter(code="330299").exists()


def test_schema_and_swagger_ui_are_served_without_a_cdn(client, city_clerk):
    client.force_login(city_clerk)  # both are for signed-in users only (tests/portal/test_security.py)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/districts/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
    assert "/static/drf_spectacular_sidecar/" in html


def test_the_api_root_lists_every_apps_endpoints(api, city_clerk):
    api.force_authenticate(city_clerk)
    listing = api.get("/api/").json()
    assert list(listing) == [
        "indicators",
        "indicator-values",
        "districts",
        "enterprises",
        "workers",
        "employments",
        "certificates",
        "craftsman-titles",
        "craftsman-awards",
        "training-programs",
        "enrollments",
        "apprenticeships",
        "subsidy-rules",
        "claims",
        "payment-batches",
        "mediation/cases",
        "mediation/committees",
        "mediation/applications",
    ]
    assert all(url == f"http://testserver/api/{prefix}/" for prefix, url in listing.items())
    assert api.get("/api/.json").json()["mediation/cases"] == "http://testserver/api/mediation/cases.json"


def test_each_app_names_its_endpoints_in_its_own_namespace_under_unchanged_paths():
    assert reverse("api:workers:worker-list") == "/api/workers/"
    assert reverse("api:training:claim-detail", args=[7]) == "/api/claims/7/"
    assert reverse("api:mediation:mediation-case-list") == "/api/mediation/cases/"
    assert reverse("api:indicators:indicator-value-list") == "/api/indicator-values/"
    assert reverse("api:api-root") == "/api/" and reverse("api:schema") == "/api/schema/"


def test_validation_errors_name_each_field():
    exc = exceptions.ValidationError({"phone": ["bad phone"], "non_field_errors": ["whole row wrong"]})
    body = exception_handler(exc, {}).data
    assert body["error"]["code"] == "invalid"
    assert body["error"]["fields"] == {"phone": ["bad phone"]}
    assert body["error"]["message"] == "whole row wrong"


def test_model_validation_errors_become_400_not_500():
    response = exception_handler(DjangoValidationError({"id_number": ["checksum wrong"]}), {})
    assert response.status_code == 400
    assert response.data["error"]["fields"] == {"id_number": ["checksum wrong"]}
