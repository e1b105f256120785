"""Sign-in lockout by identifier and address together, a separate per-address throttle, and the real
client address behind our proxies.

Finding 6: five failed attempts from one address used to lock every account behind it for 30 minutes,
staff included. Now a lockout holds for one identifier from one address; an address as a whole is only
throttled, after many more failures over all identifiers (LOGIN_ADDRESS_FAILURE_LIMIT), and no account
is locked by it. Both count in the database (axes' tables), so neither needs Redis.
"""

import datetime

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings as django_settings
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD
from tests.factories import make_id_number
from tests.selfservice import test_selfservice as account_tests
from tests.selfservice.test_selfservice import NEW_PASSWORD, activate, sign_in

pytestmark = pytest.mark.django_db

# The self-service tests' fixtures: a Beilun worker with an account, and a Haishu one.
firm = account_tests.firm
haishu_firm = account_tests.haishu_firm
worker = account_tests.worker
other_worker = account_tests.other_worker
worker_account = account_tests.worker_account
other_account = account_tests.other_account

FACTORY_ADDRESS = "203.0.113.20"  # one public address in front of a whole factory


def signed_in(response) -> bool:
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


def test_one_workers_typos_lock_only_that_worker_at_a_shared_address(
    worker, worker_account, other_account, beilun_clerk
):
    typist = Client(REMOTE_ADDR=FACTORY_ADDRESS)
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        sign_in(typist, worker.id_number, f"wrong-{n}")
    locked = sign_in(typist, worker.id_number)
    assert locked.status_code == 429 and not locked.wsgi_request.user.is_authenticated
    assert "尝试次数过多" in locked.content.decode()

    # Everyone else behind the same address signs in: another worker, and staff.
    assert signed_in(sign_in(Client(REMOTE_ADDR=FACTORY_ADDRESS), other_account.worker.id_number))
    assert signed_in(sign_in(Client(REMOTE_ADDR=FACTORY_ADDRESS), beilun_clerk, PASSWORD))
    # The locked worker is still locked from that address, and only from there.
    assert sign_in(Client(REMOTE_ADDR=FACTORY_ADDRESS), worker.id_number).status_code == 429
    assert signed_in(sign_in(Client(REMOTE_ADDR="198.51.100.3"), worker.id_number))


def test_failed_activations_lock_only_that_identifier_at_the_address(worker, other_worker):
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        activate(Client(REMOTE_ADDR=FACTORY_ADDRESS), worker, phone="13900009999")
    assert activate(Client(REMOTE_ADDR=FACTORY_ADDRESS), worker).status_code == 429
    other = activate(Client(REMOTE_ADDR=FACTORY_ADDRESS), other_worker, phone=other_worker.phone)
    assert other.status_code == 302, "another worker activates from the same address"


@pytest.fixture
def address_limit(settings):
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    return 8


def guess_many(client, count: int, first: int = 100) -> None:
    """Failed sign-ins over as many different ID numbers: no single one reaches the lockout."""
    for n in range(count):
        sign_in(client, make_id_number("330206", "19800101", first + n), "guess")


def test_the_per_address_limit_is_reached_at_its_count_and_locks_no_account(
    address_limit, worker, worker_account, beilun_clerk
):
    guesser = Client(REMOTE_ADDR=FACTORY_ADDRESS)
    guess_many(guesser, address_limit - 1)
    assert not AccessAttempt.objects.filter(failures_since_start__gte=2).exists()
    # One failure short of the limit, the address still works.
    assert signed_in(sign_in(Client(REMOTE_ADDR=FACTORY_ADDRESS), worker.id_number))
    guess_many(guesser, 1, first=500)
    assert AccessFailureLog.objects.filter(ip_address=FACTORY_ADDRESS).count() == address_limit

    # At the limit, every attempt from the address waits, right password or not, with its own message.
    for client, who, password in (
        (Client(REMOTE_ADDR=FACTORY_ADDRESS), worker.id_number, NEW_PASSWORD),
        (Client(REMOTE_ADDR=FACTORY_ADDRESS), beilun_clerk.username, PASSWORD),
    ):
        refused = sign_in(client, who, password)
        assert refused.status_code == 429 and not refused.wsgi_request.user.is_authenticated
        body = refused.content.decode()
        assert "network address" in body or "网络地址" in body  # until the lead translates the msgid
    assert activate(Client(REMOTE_ADDR=FACTORY_ADDRESS), worker).status_code == 429
    # Refused attempts are not counted again, and no account is locked: elsewhere both sign in.
    assert AccessFailureLog.objects.filter(ip_address=FACTORY_ADDRESS).count() == address_limit
    assert signed_in(sign_in(Client(REMOTE_ADDR="198.51.100.4"), worker.id_number))
    assert signed_in(sign_in(Client(REMOTE_ADDR="198.51.100.4"), beilun_clerk, PASSWORD))


def test_the_per_address_throttle_ends_as_failures_leave_the_window(address_limit, worker, worker_account):
    guesser = Client(REMOTE_ADDR=FACTORY_ADDRESS)
    guess_many(guesser, address_limit)
    assert sign_in(Client(REMOTE_ADDR=FACTORY_ADDRESS), worker.id_number).status_code == 429
    window = datetime.timedelta(minutes=django_settings.LOGIN_ADDRESS_WINDOW_MINUTES)
    oldest = AccessFailureLog.objects.order_by("attempt_time").first()
    AccessFailureLog.objects.filter(pk=oldest.pk).update(attempt_time=timezone.now() - window)
    assert signed_in(sign_in(Client(REMOTE_ADDR=FACTORY_ADDRESS), worker.id_number))


def test_the_default_per_address_limit_is_much_higher_than_the_lockout():
    assert django_settings.LOGIN_ADDRESS_FAILURE_LIMIT >= 10 * django_settings.AXES_FAILURE_LIMIT
    assert django_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


# --- The real client address behind 0, 1 or 2 proxies -------------------------------------------------------

CLIENT, NEIGHBOUR, FORGED = "203.0.113.77", "198.51.100.77", "192.0.2.66"


def behind(proxies: int, client_address: str, forged: str = "") -> Client:
    """A browser behind ``proxies`` proxies, each appending the address it received the request from.

    The client may send its own X-Forwarded-For; our proxies only append to it.
    """
    hops = [client_address] + [f"10.0.0.{n}" for n in range(1, proxies + 1)]
    chain = ([forged] if forged else []) + hops[:-1]
    headers = {"REMOTE_ADDR": hops[-1]}
    if chain:
        headers["HTTP_X_FORWARDED_FOR"] = ", ".join(chain)
    return Client(**headers)


@pytest.mark.parametrize("proxies", [0, 1, 2])
def test_lockout_and_throttle_see_the_client_behind_the_proxies_whatever_it_forges(
    proxies, settings, worker, worker_account
):
    settings.AXES_IPWARE_PROXY_COUNT = proxies
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    # Three guesses at other ID numbers, each with another forged entry in front.
    for n in range(3):
        sign_in(
            behind(proxies, CLIENT, forged=f"192.0.2.{n + 1}"),
            make_id_number("330206", "19800101", 300 + n),
            "x",
        )
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {CLIENT}
    # The client is throttled even when it forges a fresh address; the neighbour behind the same
    # proxies is not.
    assert sign_in(behind(proxies, CLIENT, forged=FORGED), worker.id_number).status_code == 429
    assert signed_in(sign_in(behind(proxies, NEIGHBOUR, forged=CLIENT), worker.id_number))


@pytest.mark.parametrize("proxies", [1, 2])
def test_a_client_cannot_pass_for_another_by_forging_forwarded_for(proxies, settings, worker, worker_account):
    settings.AXES_IPWARE_PROXY_COUNT = proxies
    for n in range(django_settings.AXES_FAILURE_LIMIT):
        sign_in(behind(proxies, CLIENT, forged=NEIGHBOUR), worker.id_number, f"wrong-{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT}
    assert sign_in(behind(proxies, CLIENT), worker.id_number).status_code == 429
    assert signed_in(sign_in(behind(proxies, NEIGHBOUR), worker.id_number))
