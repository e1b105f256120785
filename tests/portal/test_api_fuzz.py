"""Fuzzing the REST API from its own OpenAPI schema (schemathesis, every check): no 5xx, no status code
the schema does not document, every response (errors too) in its documented shape, media type and headers.

Every operation of /api/schema/ gets a bounded, derandomised run of generated requests, as a city clerk
and as a worker (token authentication), on a small registry: two enterprises, three workers,
certificates, claims in each state up to a payment batch, training, a committee and mediation cases. A
path's ``{id}`` and a body's references (worker, enterprise, …) are usually replaced by ids of real
rows, and ID numbers and credit codes by valid ones, so detail pages and state-changing actions reach
the services instead of stopping at a 404 or a checksum. Each request runs in a savepoint rolled back
afterwards, with the cache (throttle history) and django-axes emptied first, so every example starts
from the same data. Celery tasks run inline.
"""

import datetime
import json
import os

import pytest
import schemathesis
from axes.utils import reset as axes_reset
from django.core import signals
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.urls import Resolver404, resolve
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient
from schemathesis.core.parameters import ParameterLocation

from config.celery import app as celery_app
from indicators import engine
from indicators.periods import Period
from mediation import services as mediation_services
from mediation.choices import CaseSource, CommitteeKind, DisputeType, MemberRole
from mediation.models import MediationCommittee
from portal.choices import Role
from portal.models import District
from portal.roles import sync_roles
from tests.conftest import _restore_reference_data, api_key_for
from tests.factories import (
    EnterpriseFactory,
    UserFactory,
    district,
    make_credit_code,
    make_id_number,
    register_worker,
)
from training.choices import ClaimKind, ProgramType
from training.models import Apprenticeship, Claim, TrainingProgram
from training.services import batch_create, claim_approve, claim_review, claim_submit
from training.services.programs import apprenticeship_create, enrollment_create
from workers.choices import SkillLevel
from workers.models import (
    CraftsmanAward,
    CraftsmanTitle,
    Enterprise,
    SkillCertificate,
    Worker,
)
from workers.services import award_grant, certificate_issue

#: examples per operation as the city clerk, half as many as the worker; API_FUZZ_EXAMPLES=100 for a
#: deeper run by hand (about three minutes per persona)
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES") or 15)

CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {
        "seed": 20250601,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        # Unknown body keys are refused by design (workers/api.py, ServiceInputSerializer): adding them to
        # "valid" bodies would only ever test that refusal. Negative examples still send them.
        "generation": {
            "max-examples": EXAMPLES,
            "deterministic": True,
            "database": "none",
            "allow-extra-parameters": False,
        },
        # The coverage phase enumerates every boundary of every field (thousands of requests); the
        # fuzzing phase, bounded above, and the schema's own examples are what fit in the suite.
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
            }
        },
    }
)

# What the run checks: every check schemathesis has. The schema documents each operation's refusals
# (portal/api/schema.py), so status codes are compared with it too. A request that fits the schema may
# still be refused by a service's rule (a claim in the wrong state, a duplicate): for the positive-data
# check, a documented 400 is such a refusal, not a rejected valid input. The stateful checks
# (use_after_free, ensure_resource_availability) need the stateful phase, which is off; max_response_time
# is timing, which tests never assert.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
    schemathesis.checks.positive_data_acceptance,
    schemathesis.checks.missing_required_header,
    schemathesis.checks.unsupported_method,
    schemathesis.checks.ignored_auth,
    schemathesis.checks.use_after_free,
    schemathesis.checks.ensure_resource_availability,
]

#: body keys that name rows, and the model whose ids they take
BODY_REFERENCES = {
    "worker": Worker,
    "applicants": Worker,
    "enterprise": Enterprise,
    "district": District,
    "title": CraftsmanTitle,
    "certificate": SkillCertificate,
    "award": CraftsmanAward,
    "apprenticeship": Apprenticeship,
    "claims": Claim,
    "committee": MediationCommittee,
}


@pytest.fixture(scope="module")
def registry(django_db_setup, django_db_blocker):
    """A small registry with a row in every state an action accepts, made once for the module.

    It lives in a transaction around the whole module, rolled back at its end; each test's own
    transaction (pytest-django) is a savepoint inside it, and so is each request (below). The personas
    sign in with a token: the city clerk and a worker whose account is linked to their record.
    """
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # as the tests' own autouse fixture does, a step later
    try:
        with django_db_blocker.unblock(), transaction.atomic():
            _restore_reference_data()
            sync_roles()
            yield _registry()
            transaction.set_rollback(True)
    finally:
        celery_app.conf.task_always_eager = eager


def _registry() -> dict[str, str]:
    today = timezone.localdate()
    days = datetime.timedelta
    beilun = EnterpriseFactory(district=district("330206"), union_established_on=datetime.date(2015, 1, 1))
    haishu = EnterpriseFactory(district=district("330203"))
    zhang = register_worker(beilun, sequence=7, bank_account="6222021234567890123")
    li = register_worker(beilun, sequence=8, bank_account="6222021234567890124")
    register_worker(haishu, sequence=9)

    clerk = UserFactory(username="city_clerk", role=Role.CITY_STAFF)
    worker_user = UserFactory(username="worker_zhang", role=Role.WORKER, worker=zhang)
    submitter, reviewer, approver = (
        UserFactory(username=f"fuzz_{name}", role=Role.CITY_STAFF)
        for name in ("submitter", "reviewer", "approver")
    )
    # Submitted, reviewed, approved and waiting in a batch, approved and in no batch.
    claims = []
    for number, (person, level) in enumerate(
        [
            (zhang, SkillLevel.JUNIOR),
            (zhang, SkillLevel.INTERMEDIATE),
            (li, SkillLevel.JUNIOR),
            (li, SkillLevel.INTERMEDIATE),
        ]
    ):
        certificate = certificate_issue(
            by=None,
            worker_id=person.pk,
            level=level,
            occupation=f"数控车工{number}",
            number=f"FUZZ-{number}",
            issued_on=today - days(30),
        )
        claims.append(
            claim_submit(
                by=submitter, worker_id=person.pk, kind=ClaimKind.SKILL_SUBSIDY, certificate_id=certificate.pk
            )
        )
    for claim in claims[1:]:
        claim_review(claim_id=claim.pk, by=reviewer)
    for claim in claims[2:]:
        claim_approve(claim_id=claim.pk, by=approver)
    batch_create(by=approver, district_id=beilun.district_id, claim_ids=[claims[2].pk])

    title = CraftsmanTitle.objects.order_by("pk").first()
    award_grant(by=None, worker_id=li.pk, title_id=title.pk, year=today.year - 1, nominated_by="employer")
    program = TrainingProgram.objects.create(
        name="数控技能提升班",
        program_type=ProgramType.SKILL_UPGRADE,
        provider_school="宁波技师学院",
        district=beilun.district,
        starts_on=today - days(60),
        ends_on=today + days(60),
    )
    enrollment_create(by=None, worker_id=zhang.pk, program_id=program.pk, enrolled_on=today - days(50))
    apprenticeship_create(
        by=None,
        master_id=li.pk,
        apprentice_id=zhang.pk,
        occupation="车工",
        skill_target=SkillLevel.INTERMEDIATE,
        starts_on=today - days(40),
        ends_on=today + days(300),
    )

    committee = mediation_services.committee_establish(
        by=None,
        kind=CommitteeKind.ENTERPRISE,
        name="调解委员会",
        enterprise_id=beilun.pk,
        established_on=datetime.date(2018, 3, 1),
        members=[{"name": "王主任", "role": MemberRole.CHAIR, "union_member": True}],
    )
    for source in (CaseSource.WALK_IN, CaseSource.ONLINE):
        mediation_services.case_apply(
            by=None,
            applicant_ids=[zhang.pk],
            dispute_type=DisputeType.PAY,
            claim="要求支付拖欠工资",
            claimed_amount="18000",
            source=source,
            committee_id=committee.pk,
        )
    engine.compute_period(Period.parse(str(today.year)))  # what /api/indicator-values/ shows by default
    return {user.username: api_key_for(user) for user in (clerk, worker_user)}


@pytest.fixture(autouse=True)
def _requests_keep_the_test_connection():
    """Called as a WSGI app, Django closes "old" connections around each request; inside the test's
    transaction that closes PostgreSQL's (Django's own test client disconnects the handler the same way)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _published_schema() -> dict:
    """The schema /api/schema/ publishes, generated in-process: serving it needs a signed-in user, and
    at collection there is no database to hold one. test_the_published_schema_is_the_one_fuzzed checks
    that the served one is the same."""
    return json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))


# Loaded once, at collection; requests go to the WSGI application in-process.
schema = schemathesis.openapi.from_dict(_published_schema(), config=CONFIG)
schema.app = WSGIHandler()
schema.location = "/api/schema/"


#: body keys whose random text never passes a checksum, and values that do (new people, new firms)
VALID_VALUES = {
    "id_number": st.integers(100, 999).map(lambda n: make_id_number("330206", "19900101", n)),
    "credit_code": st.integers(1000, 9999).map(make_credit_code),
}

#: three times in four a real row: a random id mostly meets a 404 before any service runs
REAL_ROW = st.integers(0, 3).map(bool)


def _model_of(path: str):
    try:
        match = resolve(path.replace("{id}", "1"))
    except Resolver404:
        return None
    queryset = getattr(getattr(match.func, "cls", None), "queryset", None)
    return None if queryset is None else queryset.model


def _ids(model) -> list[int]:
    return list(model.objects.order_by("pk").values_list("pk", flat=True)[:10])


def _negative_at(case, location: ParameterLocation) -> bool:
    return case.meta is not None and case.meta.is_negative_at(location)


def _aim_at_real_rows(case, data) -> None:
    """Now and then, the ids of real rows instead of random integers; never in a part generated to be
    invalid (a negative example), which a real id would turn into a valid one the API then accepts."""
    if (
        case.path_parameters
        and "id" in case.path_parameters
        and not _negative_at(case, ParameterLocation.PATH)
    ):
        model = _model_of(case.operation.path)
        ids = _ids(model) if model is not None else []
        if ids and data.draw(REAL_ROW, label="real id"):
            case.path_parameters["id"] = data.draw(st.sampled_from(ids), label="id")
    if isinstance(case.body, dict) and not _negative_at(case, ParameterLocation.BODY):
        for key, model in BODY_REFERENCES.items():
            if key not in case.body or not data.draw(REAL_ROW, label=f"real {key}"):
                continue
            ids = _ids(model)
            if not ids:
                continue
            chosen = data.draw(st.sampled_from(ids), label=key)
            case.body[key] = [chosen] if isinstance(case.body[key], list) else chosen
        for key, values in VALID_VALUES.items():
            if key in case.body and data.draw(REAL_ROW, label=f"valid {key}"):
                case.body[key] = data.draw(values, label=key)


def _assert_error_shape(response) -> None:
    """Every refusal has the API's one error shape (portal/api/errors.py), whatever was sent."""
    if not 400 <= response.status_code < 500:
        return
    content_type = response.headers.get("content-type", [""])[0]  # schemathesis: lower-case names, lists
    assert content_type.startswith("application/json"), response.text[:300]
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"], body


COMMON_SETTINGS = {
    "derandomize": True,
    "deadline": None,
    "database": None,
    # The registry fixture is shared by the examples on purpose: each request is rolled back.
    "suppress_health_check": [
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
}


def _call_and_check(case, data, token: str) -> None:
    cache.clear()  # DRF throttle history
    axes_reset()  # django-axes lockouts
    _aim_at_real_rows(case, data)
    headers = {"Authorization": f"Token {token}", "X-Forwarded-Proto": "https"}
    with transaction.atomic():
        response = case.call(headers=headers)
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS, headers=headers)
    _assert_error_shape(response)


@schema.parametrize()
@schema.given(data=st.data())
@settings(max_examples=EXAMPLES, **COMMON_SETTINGS)
def test_as_a_city_clerk(case, data, registry, db):
    _call_and_check(case, data, registry["city_clerk"])


@schema.parametrize()
@schema.given(data=st.data())
@settings(max_examples=max(1, EXAMPLES // 2), **COMMON_SETTINGS)
def test_as_a_worker(case, data, registry, db):
    _call_and_check(case, data, registry["worker_zhang"])


# --- What the fuzzing found, pinned down ------------------------------------------------------------------


@pytest.fixture
def clerk_api(registry, db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {registry['city_clerk']}")
    return client


def test_an_id_filter_beyond_64_bits_is_refused_not_a_server_error(clerk_api):
    # SQLite cannot bind such an integer: an OverflowError, a 500, before the filter had bounds.
    response = clerk_api.get("/api/apprenticeships/", {"master": str(2**70)})
    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"master"}


def test_an_api_url_that_names_no_endpoint_answers_in_the_error_shape(clerk_api):
    for url in ("/api/certificates/1.5e-3/", "/api/no-such-thing/1/", "/api/workers/1/no-such-action/"):
        response = clerk_api.post(url) if url.endswith("action/") else clerk_api.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found", url
    # Without the trailing slash a URL is still redirected to the endpoint, as before.
    assert clerk_api.get("/api/workers").status_code == 301


def test_a_batch_total_of_no_payments_is_zero_not_null(clerk_api):
    batch = clerk_api.get("/api/payment-batches/").json()["results"][0]
    assert (batch["paid_total"], batch["returned_total"]) == ("0.00", "0.00")
    assert batch["total"] == "1000.00"


def test_indicator_values_are_documented_as_one_object_with_its_run(clerk_api):
    schema = clerk_api.get("/api/schema/", {"format": "json"}).json()
    documented = schema["paths"]["/api/indicator-values/"]["get"]["responses"]["200"]["content"]
    assert documented["application/json"]["schema"] == {"$ref": "#/components/schemas/IndicatorValues"}
    assert set(clerk_api.get("/api/indicator-values/").json()) == {"period", "run", "computed_at", "results"}


def test_the_published_schema_is_the_one_fuzzed(clerk_api):
    served = clerk_api.get("/api/schema/", {"format": "json"}, HTTP_X_FORWARDED_PROTO="https")
    assert served.status_code == 200
    assert served.json() == _published_schema()
