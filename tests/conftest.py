"""Suite-wide fixtures: named personas, and the rule that a test whose service is missing fails loudly.

Markers (see pyproject.toml): `postgres`, `redis`, `celery_worker`, `browser`. `make test` selects
them only when DATABASE_URL points at PostgreSQL; a selected test whose service is missing fails
with a message saying what to set, it never skips.

Transactional tests flush every table afterwards; mark them
`@pytest.mark.django_db(transaction=True, serialized_rollback=True)` so the districts loaded by a
data migration come back for the next test.
"""

import os
import shutil

import pytest
from django.db import connection

from portal.choices import Role
from portal.roles import sync_roles
from tests.factories import UserFactory, district

PASSWORD = "pass-word-123"


def _redis_problem() -> str | None:
    from django.conf import settings

    if not settings.REDIS_URL:
        return "REDIS_URL is not set (e.g. REDIS_URL=redis://127.0.0.1:6379/11)"
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at REDIS_URL does not answer: {exc}"
    return None


def pytest_runtest_setup(item):
    markers = {m.name for m in item.iter_markers()}
    problems = []
    if markers & {"postgres", "celery_worker"} and connection.vendor != "postgresql":
        problems.append(
            f"needs PostgreSQL but the database is {connection.vendor} "
            "(set DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal)"
        )
    if markers & {"redis", "celery_worker"}:
        problem = _redis_problem()
        if problem:
            problems.append(problem)
    if "browser" in markers:
        chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
        if not shutil.which(chromium):
            problems.append(f"needs Chromium at {chromium} (apt-get install chromium)")
    if problems:
        pytest.fail(f"{item.nodeid}: " + "; ".join(problems), pytrace=False)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """PBKDF2's deliberate slowness protects real passwords; in tests it only costs minutes."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _signing_in_in_tests_passes_the_second_factor():
    """The test client's login() and force_login() also pass the second factor for staff who need it.

    Production keeps the check on: this marks the test session verified with a real, confirmed TOTP
    device of the user (portal/accounts), as the two-factor page would after a right code. A test of
    the check itself sets ``client.password_only = True`` first (see tests/portal/test_two_factor.py).
    """
    from django.test.client import ClientMixin

    original = ClientMixin._login

    def _login(self, user, backend=None):
        original(self, user, backend)
        if getattr(self, "password_only", False):
            return
        from portal.accounts.rights import requires_two_factor

        if requires_two_factor(user):
            from portal.accounts.two_factor import DEVICE_ID_SESSION_KEY

            session = self.session
            session[DEVICE_ID_SESSION_KEY] = test_totp_device(user).persistent_id
            session.save()

    ClientMixin._login = _login
    yield
    ClientMixin._login = original


def test_totp_device(user):
    """The user's confirmed authenticator (made with a random key if there is none)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


test_totp_device.__test__ = False  # a helper, not a test


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        sync_roles()
    yield
    # Pooled connections stay open after close(); the test database can only be dropped without them.
    from django.db import connections

    if connections["default"].vendor == "postgresql":
        from django.db.backends.postgresql.base import DatabaseWrapper

        with django_db_blocker.unblock(), connections["default"].cursor() as cursor:
            # A session some thread or child left behind would keep the test database from being dropped.
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        connections.close_all()

        # Pools are shared by every thread (live servers, the payment race); close them all.
        for pool in list(DatabaseWrapper._connection_pools.values()):
            pool.close()
        DatabaseWrapper._connection_pools.clear()


def _restore_reference_data():
    """After a transactional test's flush: content types, permissions and districts come back."""
    import importlib

    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.contenttypes.management import create_contenttypes

    from portal.models import District

    if not District.objects.exists():
        # The ten divisions as workers' migration 0002 loads them (District has moved to portal since).
        rows = importlib.import_module("workers.migrations.0002_load_districts").DISTRICTS
        District.objects.bulk_create(
            District(code=code, name=name, name_en=name_en, kind=kind) for code, name, name_en, kind in rows
        )
    for app_config in apps.get_app_configs():
        create_contenttypes(app_config, verbosity=0)
        create_permissions(app_config, verbosity=0)


@pytest.fixture(autouse=True)
def _tasks_run_inline_unless_a_real_worker_is_wanted(request, settings):
    """With REDIS_URL set (the PostgreSQL pass) tasks would wait in Redis for a worker that only the
    `celery_worker` tests start; every other test runs them in-process, as the embedded default does."""
    from config.celery import app

    if request.node.get_closest_marker("celery_worker"):
        yield
        return
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _fresh_process_cache():
    """The embedded default caches in process memory (dashboards key their boards on run ids, which
    SQLite reuses after a rollback): each test starts with it empty. Redis (the PostgreSQL pass) is
    never flushed here; its keys name PostgreSQL ids, which sequences never reuse."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    # caches["default"], not django.core.cache.cache: that is a proxy, never an instance of the backend.
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()
    yield


@pytest.fixture(autouse=True)
def _reference_data_after_flushes(request):
    """A transactional test flushes every table; tests after it still find districts and permissions."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        request.getfixturevalue(
            "_django_db_helper"
        )  # pytest-django's own set-up, whatever the test asked for
        from portal.models import District

        if not District.objects.exists():
            _restore_reference_data()


@pytest.fixture
def roles(db):
    """Role groups exist (a transactional test before this one may have flushed them)."""
    _restore_reference_data()
    sync_roles()


@pytest.fixture
def city_clerk(roles):
    return UserFactory(username="city_clerk", role=Role.CITY_STAFF)


@pytest.fixture
def beilun_clerk(roles):
    return UserFactory(username="beilun_clerk", role=Role.DISTRICT_STAFF, district=district("330206"))


@pytest.fixture
def haishu_clerk(roles):
    return UserFactory(username="haishu_clerk", role=Role.DISTRICT_STAFF, district=district("330203"))


@pytest.fixture
def beilun_official(roles):
    return UserFactory(username="beilun_official", role=Role.DISTRICT_OFFICIAL, district=district("330206"))


@pytest.fixture
def haishu_official(roles):
    return UserFactory(username="haishu_official", role=Role.DISTRICT_OFFICIAL, district=district("330203"))


@pytest.fixture
def worker_user(roles):
    return UserFactory(username="worker_zhang", role=Role.WORKER)


def api_key_for(user, *, days: int = 1) -> str:
    """A live API key of ``user`` (stored hashed, as /account/tokens/ issues them); any role, for scope tests."""
    from portal.accounts.services import _create_token

    return _create_token(user=user, name="test", days=days)[1]
