"""Settings from the environment: typed readers refuse nonsense; production settings pass check --deploy."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal.env import env_bool, env_choice, env_int, env_list, env_str, env_url

ROOT = Path(__file__).resolve().parents[2]

# Variables that would change what check --deploy says; each subprocess states them explicitly.
_SECURITY_VARS = (
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SESSION_COOKIE_AGE",
    "PERSONAL_DATA_KEYS",
    "PERSONAL_DATA_HASH_KEY",
)


# --- env_bool ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["1", "true", "True", "YES", "on", " on "])
def test_true_spellings_read_as_true(monkeypatch, raw):
    monkeypatch.setenv("PORTAL_TEST_FLAG", raw)
    assert env_bool("PORTAL_TEST_FLAG", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "OFF"])
def test_false_spellings_read_as_false(monkeypatch, raw):
    monkeypatch.setenv("PORTAL_TEST_FLAG", raw)
    assert env_bool("PORTAL_TEST_FLAG", True) is False


def test_a_misspelt_boolean_is_an_error_not_false(monkeypatch):
    monkeypatch.setenv("DEBUG", "ture")
    with pytest.raises(ImproperlyConfigured, match="DEBUG='ture' is not a boolean"):
        env_bool("DEBUG", True)


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_an_unset_or_blank_boolean_takes_the_default(monkeypatch, raw):
    if raw is None:
        monkeypatch.delenv("PORTAL_TEST_FLAG", raising=False)
    else:
        monkeypatch.setenv("PORTAL_TEST_FLAG", raw)
    assert env_bool("PORTAL_TEST_FLAG", True) is True
    assert env_bool("PORTAL_TEST_FLAG", False) is False


# --- env_int ----------------------------------------------------------------------------------------


def test_a_whole_number_is_read(monkeypatch):
    monkeypatch.setenv("PORTAL_TEST_INT", " 3600 ")
    assert env_int("PORTAL_TEST_INT", 10) == 3600


def test_an_unset_number_takes_the_default(monkeypatch):
    monkeypatch.delenv("PORTAL_TEST_INT", raising=False)
    assert env_int("PORTAL_TEST_INT", 42) == 42


@pytest.mark.parametrize("raw", ["1.5", "ten", "1e3", "0x10"])
def test_a_number_that_is_not_whole_is_an_error(monkeypatch, raw):
    monkeypatch.setenv("PORTAL_TEST_INT", raw)
    with pytest.raises(ImproperlyConfigured, match="is not a whole number"):
        env_int("PORTAL_TEST_INT", 10)


def test_a_number_below_the_minimum_is_an_error(monkeypatch):
    monkeypatch.setenv("CELERY_TASK_TIME_LIMIT", "5")
    with pytest.raises(ImproperlyConfigured, match="below the minimum 10"):
        env_int("CELERY_TASK_TIME_LIMIT", 3600, minimum=10)


def test_a_number_above_the_maximum_is_an_error(monkeypatch):
    monkeypatch.setenv("PORTAL_TEST_INT", "101")
    with pytest.raises(ImproperlyConfigured, match="above the maximum 100"):
        env_int("PORTAL_TEST_INT", 1, maximum=100)


def test_the_bounds_themselves_are_allowed(monkeypatch):
    monkeypatch.setenv("PORTAL_TEST_INT", "100")
    assert env_int("PORTAL_TEST_INT", 1, minimum=100, maximum=100) == 100


# --- env_list, env_str, env_choice ------------------------------------------------------------------


def test_a_list_is_split_on_commas_and_trimmed(monkeypatch):
    monkeypatch.setenv("ALLOWED_HOSTS", " example.org, .union.example ,,localhost ")
    assert env_list("ALLOWED_HOSTS") == ["example.org", ".union.example", "localhost"]


def test_an_unset_list_takes_a_copy_of_the_default(monkeypatch):
    monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
    default = ["localhost"]
    hosts = env_list("ALLOWED_HOSTS", default)
    assert hosts == ["localhost"]
    hosts.append("evil.example")
    assert default == ["localhost"]
    assert env_list("ALLOWED_HOSTS") == []


def test_a_blank_string_counts_as_unset(monkeypatch):
    monkeypatch.setenv("LOG_LEVEL", "   ")
    assert env_str("LOG_LEVEL", "INFO") == "INFO"
    monkeypatch.setenv("LOG_LEVEL", " debug ")
    assert env_str("LOG_LEVEL", "INFO") == "debug"


def test_a_choice_outside_the_list_is_an_error(monkeypatch):
    monkeypatch.setenv("PORTAL_TEST_CHOICE", "purple")
    with pytest.raises(ImproperlyConfigured, match="is not one of red, green"):
        env_choice("PORTAL_TEST_CHOICE", "red", ("red", "green"))
    monkeypatch.setenv("PORTAL_TEST_CHOICE", "green")
    assert env_choice("PORTAL_TEST_CHOICE", "red", ("red", "green")) == "green"


# --- env_url ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "postgres://postgres@127.0.0.1:5432/portal",
        "postgresql://user:pw@db:5432/portal",
        "sqlite:////srv/portal/db.sqlite3",
    ],
)
def test_a_database_url_with_a_known_scheme_is_accepted(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    assert env_url("DATABASE_URL", schemes=("sqlite", "postgres", "postgresql")) == url


@pytest.mark.parametrize(
    "url", ["mysql://root@localhost/portal", "127.0.0.1:5432/portal", "redis://localhost/0"]
)
def test_a_database_url_with_another_scheme_is_an_error(monkeypatch, url):
    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL must start with one of"):
        env_url("DATABASE_URL", schemes=("sqlite", "postgres", "postgresql"))


def test_a_redis_url_must_be_redis(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "amqp://guest@localhost//")
    with pytest.raises(ImproperlyConfigured, match="redis://, rediss://"):
        env_url("REDIS_URL", schemes=("redis", "rediss"))


def test_an_unset_url_is_none(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert env_url("REDIS_URL", schemes=("redis",)) is None


# --- the settings module in a fresh process ---------------------------------------------------------


def _production_env(**overrides: str) -> dict[str, str]:
    """The current environment (DATABASE_URL, REDIS_URL included) with production security values."""
    env = {k: v for k, v in os.environ.items() if k not in _SECURITY_VARS}
    env.update(
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="example.org",
        PERSONAL_DATA_KEYS="k1:" + base64.b64encode(os.urandom(32)).decode(),
        PERSONAL_DATA_HASH_KEY=base64.b64encode(os.urandom(32)).decode(),
    )
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_settings_pass_check_deploy_without_a_warning():
    result = _manage(_production_env(), "check", "--deploy", "--fail-level", "WARNING")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output and "?: (" not in output, output
    assert "System check identified no issues" in output, output


def test_debug_off_without_a_secret_key_refuses_to_start():
    env = _production_env()
    del env["SECRET_KEY"]
    result = _manage(env, "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set when DEBUG=0" in result.stderr


def test_debug_off_with_a_short_secret_key_refuses_to_start():
    result = _manage(_production_env(SECRET_KEY="too-short"), "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 random characters" in result.stderr


def test_a_misspelt_debug_refuses_to_start():
    result = _manage(_production_env(DEBUG="ture"), "check")
    assert result.returncode != 0
    assert "DEBUG='ture' is not a boolean" in result.stderr


def test_debug_off_without_personal_data_keys_refuses_to_start():
    env = _production_env()
    del env["PERSONAL_DATA_HASH_KEY"]
    result = _manage(env, "check")
    assert result.returncode != 0
    assert "PERSONAL_DATA_KEYS and PERSONAL_DATA_HASH_KEY must be set" in result.stderr
