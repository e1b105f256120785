"""Getting an account: activation, ID-number sign-in, lockout that stores no ID number, one-time codes.

The fixtures here are shared by the other test_selfservice_* modules.
"""

import datetime

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone

from portal.choices import Role
from portal.models import AuditEvent
from selfservice import services
from selfservice.identity import client_ip, lockout_key, looks_like_id_number, normalise_name
from selfservice.models import ActivationCode
from tests.conftest import PASSWORD
from tests.factories import EnterpriseFactory, UserFactory, district, make_id_number, register_worker

pytestmark = pytest.mark.django_db

D = datetime.date
NEW_PASSWORD = "Lanterns-on-the-river-9"
PHONE = "13900000007"


def id_number_ending_in_x() -> str:
    for sequence in range(1, 999):
        number = make_id_number("230103", "19950310", sequence)
        if number.endswith("X"):
            return number
    raise AssertionError("no sequence gives X")


@pytest.fixture
def firm(db):
    return EnterpriseFactory(district=district("330206"))


@pytest.fixture
def haishu_firm(db):
    return EnterpriseFactory(district=district("330203"))


@pytest.fixture
def worker(firm):
    """A Beilun worker whose ID number ends in X, with a phone and a bank account on file."""
    number = id_number_ending_in_x()
    sequence = int(number[14:17])
    return register_worker(
        firm,
        sequence=sequence,
        name="张 伟",
        phone=PHONE,
        bank_account="6222021234567890123",
        hired_on=D(2015, 1, 1),
    )


@pytest.fixture
def other_worker(haishu_firm):
    return register_worker(
        haishu_firm, sequence=2, name="李娜", phone="13900000002", bank_account="6222020000000000002"
    )


def account_for(worker, password=NEW_PASSWORD):
    return services.account_activate(worker_id=worker.pk, password=password)


@pytest.fixture
def worker_account(worker):
    return account_for(worker)


@pytest.fixture
def other_account(other_worker):
    return account_for(other_worker)


def sign_in(client, user_or_identifier, password=NEW_PASSWORD):
    identifier = getattr(user_or_identifier, "username", user_or_identifier)
    return client.post("/login/", {"username": identifier, "password": password})


def activate(client, worker, *, id_number=None, name=None, phone=PHONE, **extra):
    return client.post(
        "/activate/",
        {"id_number": id_number or worker.id_number, "name": name or worker.name, "phone": phone},
        **extra,
    )


def every_axes_value() -> str:
    """Everything axes wrote, as one string, to search for personal data."""
    rows = []
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        for row in model.objects.all().values():
            rows.extend(str(value) for value in row.values())
    return "\n".join(rows)


# --- Identity helpers -------------------------------------------------------------------------------


def test_the_lockout_key_is_one_keyed_hash_for_every_spelling_of_an_id_number(worker):
    number = worker.id_number
    full_width = number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "ｘ"
    keys = {
        lockout_key(number),
        lockout_key(number.lower()),
        lockout_key(full_width),
        lockout_key(f" {number} "),
    }
    assert len(keys) == 1
    key = keys.pop()
    assert number not in key and number[:6] not in key
    assert key == services.worker_username(worker.id_number_hash)


def test_staff_user_names_and_typos_are_hashed_too():
    assert lockout_key("beilun_clerk") != "beilun_clerk"
    assert lockout_key("beilun_clerk") == lockout_key("beilun_clerk")
    typo = "33020619900101123"  # 17 characters: not an ID number, still personal data
    assert typo not in lockout_key(typo)
    assert lockout_key("") is None


def test_id_number_shapes():
    assert looks_like_id_number("33020619900101123x")
    assert looks_like_id_number("330206900101123")
    assert not looks_like_id_number("beilun_clerk")


@pytest.mark.parametrize(
    ("proxies", "forwarded", "remote", "expected"),
    [
        (0, "1.1.1.1", "10.0.0.9", "10.0.0.9"),
        (1, "6.6.6.6, 1.1.1.1", "10.0.0.9", "1.1.1.1"),
        (2, "6.6.6.6, 1.1.1.1, 10.0.0.8", "10.0.0.9", "1.1.1.1"),
        (1, "", "10.0.0.9", "10.0.0.9"),
        (1, "not-an-address", "10.0.0.9", "10.0.0.9"),
    ],
)
def test_the_client_address_trusts_forwarded_for_only_as_far_as_our_proxies(
    proxies, forwarded, remote, expected
):
    request = RequestFactory().get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR=remote)
    with override_settings(AXES_IPWARE_PROXY_COUNT=proxies):
        assert client_ip(request) == expected


def test_names_compare_as_people_type_them():
    assert normalise_name(" 张 伟") == normalise_name("张伟")
    assert normalise_name("阿卜杜·热合曼") == normalise_name("阿卜杜•热合曼")
    assert normalise_name("张伟") != normalise_name("张玮")


# --- Activation ----------------------------------------------------------------------------------------


def test_a_worker_activates_with_matching_details_and_is_signed_in(client, worker):
    response = activate(
        client, worker, id_number=worker.id_number.lower(), name="张伟", phone="+86 139-0000-0007"
    )
    assert response.status_code == 302
    assert response.url == "/activate/password/"
    assert worker.id_number not in str(dict(client.session))
    response = client.post(
        "/activate/password/", {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/me/"
    user = response.wsgi_request.user
    assert user.is_authenticated and user.worker_id == worker.pk and user.role == Role.WORKER
    assert user.username.startswith("w") and worker.id_number not in user.username
    assert user.get_full_name() == worker.name
    assert AuditEvent.objects.filter(action="account.activate", object_id=str(worker.pk)).exists()


def _alert(html: str) -> str:
    start = html.index('role="alert"')
    return html[start : html.index("</div>", start)]


def test_wrong_details_give_the_same_answer_as_an_unknown_id_number(client, worker, other_worker):
    unknown = make_id_number("330206", "19800101", 555)
    answers = [
        activate(client, worker, id_number=unknown),
        activate(client, worker, name="王伟"),
        activate(client, worker, phone="13900009999"),
        activate(
            client, worker, id_number=other_worker.id_number
        ),  # real number, someone else's name and phone
    ]
    assert [r.status_code for r in answers] == [200, 200, 200, 200]
    alerts = {_alert(r.content.decode()) for r in answers}
    assert len(alerts) == 1
    assert "/activate/password/" not in {getattr(r, "url", "") for r in answers}
    assert get_user_model().objects.filter(worker__isnull=False).count() == 0


def test_an_already_activated_worker_cannot_activate_again(client, worker, worker_account):
    response = activate(client, worker)
    assert response.status_code == 200
    assert "/activate/password/" not in response.get("Location", "")
    assert str(services.ALREADY_ACTIVE) in response.content.decode()
    assert get_user_model().objects.filter(worker=worker).count() == 1


def test_the_password_step_needs_matched_details_first(client, worker):
    response = client.get("/activate/password/")
    assert response.status_code == 302 and response.url == "/activate/"


def test_the_password_may_not_contain_the_id_number_or_phone(client, worker):
    activate(client, worker)
    for weak in (worker.id_number, f"ab{PHONE}", "12345678"):
        response = client.post("/activate/password/", {"new_password1": weak, "new_password2": weak})
        assert response.status_code == 200
        assert 'aria-invalid="true"' in response.content.decode()
    assert not get_user_model().objects.filter(worker=worker).exists()


def test_a_worker_without_a_phone_on_file_cannot_activate_by_details(client, firm):
    worker = register_worker(firm, sequence=31, phone="")
    response = activate(client, worker, phone="")
    assert response.status_code == 200
    assert not get_user_model().objects.filter(worker=worker).exists()


# --- Signing in with the ID number ----------------------------------------------------------------------


def full_width(text: str) -> str:
    return text.translate(str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ"))


@pytest.mark.parametrize("spelling", [str, str.lower, full_width, lambda n: f" {n[:6]} {n[6:]} "])
def test_a_worker_signs_in_with_the_id_number_however_typed(client, worker, worker_account, spelling):
    response = sign_in(client, spelling(worker.id_number))
    assert response.status_code == 302, response.content.decode()[:500]
    assert client.get("/me/").status_code == 200


def test_a_wrong_password_for_an_id_number_gets_the_general_error(client, worker, worker_account):
    html = sign_in(client, worker.id_number, "wrong-password").content.decode()
    assert "用户名或密码不正确" in html


def test_staff_keep_signing_in_with_their_user_name(client, beilun_clerk):
    assert sign_in(client, beilun_clerk, PASSWORD).status_code == 302


def test_the_login_page_points_workers_to_activation(client, db):
    html = client.get("/login/").content.decode()
    assert 'href="/activate/"' in html and 'href="/activate/code/"' in html


# --- Lockout ----------------------------------------------------------------------------------------------


def test_repeated_failures_lock_the_id_number_out_and_axes_keeps_no_id_number(client, worker, worker_account):
    spellings = [worker.id_number, worker.id_number.lower(), full_width(worker.id_number)]
    for attempt in range(5):
        sign_in(client, spellings[attempt % 3], f"wrong-{attempt}")
    response = sign_in(client, worker.id_number, NEW_PASSWORD)
    assert response.status_code == 429
    assert "尝试次数过多" in response.content.decode()  # "Too many attempts", in the default language
    assert not response.wsgi_request.user.is_authenticated
    stored = every_axes_value()
    assert AccessAttempt.objects.get().failures_since_start >= 5
    assert AccessAttempt.objects.get().username == services.worker_username(worker.id_number_hash)
    for secret in (
        worker.id_number,
        worker.id_number.lower(),
        full_width(worker.id_number),
        worker.id_number[6:14],
    ):
        assert secret not in stored


def test_the_lockout_holds_for_the_id_number_at_the_address_it_was_guessed_from(worker, worker_account):
    # Identifier and address together (issue 15): failures spread over addresses lock nobody out ...
    for n in range(5):
        sign_in(Client(REMOTE_ADDR=f"10.1.0.{n + 1}"), worker.id_number, "wrong")
    assert sign_in(Client(REMOTE_ADDR="10.1.0.99"), worker.id_number).status_code == 302
    # ... five from one address lock the number there, whichever client object sends them.
    for _ in range(5):
        sign_in(Client(REMOTE_ADDR="10.1.0.50"), worker.id_number, "wrong")
    assert sign_in(Client(REMOTE_ADDR="10.1.0.50"), worker.id_number).status_code == 429


def test_one_address_trying_many_id_numbers_is_throttled(worker, worker_account, settings):
    # Guesses over many identifiers meet the per-address limit (100 by default; 5 here).
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 5
    client = Client(REMOTE_ADDR="10.2.0.1")
    for n in range(5):
        sign_in(client, make_id_number("330206", "19800101", 100 + n), "guess")
    assert sign_in(client, worker.id_number).status_code == 429
    assert sign_in(Client(REMOTE_ADDR="10.2.0.2"), worker.id_number).status_code == 302


def test_a_success_resets_the_count(client, worker, worker_account):
    for _ in range(4):
        sign_in(client, worker.id_number, "wrong")
    assert sign_in(client, worker.id_number).status_code == 302
    client.post("/logout/")
    for _ in range(4):
        sign_in(client, worker.id_number, "wrong")
    assert sign_in(client, worker.id_number).status_code == 302


def test_signing_in_to_ones_own_account_does_not_wipe_guesses_at_another(client, worker, other_account):
    other = other_account.worker
    for round_ in range(2):
        for _ in range(2):
            sign_in(client, worker.id_number, f"guess-{round_}")
        assert sign_in(client, other.id_number).status_code == 302
        client.post("/logout/")
    sign_in(client, worker.id_number, "guess-last")
    assert sign_in(Client(), worker.id_number, "guess").status_code == 429


def test_the_lockout_ends_after_the_cool_off(client, worker, worker_account):
    for _ in range(5):
        sign_in(client, worker.id_number, "wrong")
    assert sign_in(client, worker.id_number).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=31))
    assert sign_in(client, worker.id_number).status_code == 302


def test_failed_activations_count_and_lock_out_without_storing_the_details(client, worker):
    for _ in range(5):
        response = activate(client, worker, phone="13900009999")
    assert response.status_code == 429
    assert activate(client, worker).status_code == 429, "locked even with the right details"
    stored = every_axes_value()
    for secret in (worker.id_number, worker.name.replace(" ", ""), PHONE, "13900009999"):
        assert secret not in stored
    assert not get_user_model().objects.filter(worker=worker).exists()


# --- One-time codes from the union office ----------------------------------------------------------------


def issue_code(clerk, worker):
    client = Client()
    client.force_login(clerk)
    html = client.post("/office/activation-codes/", {"id_number": worker.id_number.lower()}).content.decode()
    code = ActivationCode.objects.filter(worker=worker).latest("created_at")
    marker = 'class="code">'
    return html[html.index(marker) + len(marker) : html.index("</strong>", html.index(marker))], code


def redeem(client, worker, code, password=NEW_PASSWORD + "x"):
    return client.post(
        "/activate/code/",
        {"id_number": worker.id_number, "code": code, "new_password1": password, "new_password2": password},
    )


def test_a_clerk_issues_a_code_that_sets_a_new_password_once(client, worker, worker_account, beilun_clerk):
    code, record = issue_code(beilun_clerk, worker)
    assert len(code.replace("-", "")) == 12
    assert code.replace("-", "") not in record.code_hash
    assert AuditEvent.objects.filter(action="account.activation_code_issue", actor=beilun_clerk).exists()
    response = redeem(client, worker, code.lower().replace("-", " "))
    assert response.status_code == 302 and response.url == "/me/"
    client.post("/logout/")
    assert sign_in(client, worker.id_number, NEW_PASSWORD + "x").status_code == 302
    client.post("/logout/")
    again = redeem(client, worker, code, "Another-river-lantern-7")
    assert again.status_code == 200
    assert str(services.CODE_NO_MATCH) in again.content.decode()


def test_an_expired_or_replaced_code_does_not_work(client, worker, worker_account, beilun_clerk):
    first, _record = issue_code(beilun_clerk, worker)
    second, record = issue_code(beilun_clerk, worker)
    assert redeem(client, worker, first).status_code == 200, "an earlier code stops working"
    ActivationCode.objects.filter(pk=record.pk).update(
        expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert redeem(client, worker, second).status_code == 200
    assert sign_in(Client(), worker.id_number).status_code == 302, "the old password still works"


def test_a_code_opens_the_account_of_a_worker_without_a_phone(client, firm, beilun_clerk):
    worker = register_worker(firm, sequence=41, phone="")
    code, _record = issue_code(beilun_clerk, worker)
    assert redeem(client, worker, code).status_code == 302
    assert get_user_model().objects.get(worker=worker).role == Role.WORKER


def test_a_clerk_cannot_issue_codes_outside_their_district(worker, haishu_clerk):
    client = Client()
    client.force_login(haishu_clerk)
    response = client.post("/office/activation-codes/", {"id_number": worker.id_number})
    assert response.status_code == 200
    assert not ActivationCode.objects.exists()
    assert client.get(f"/office/workers/{worker.pk}/activation-code/").status_code == 404


def test_workers_and_officials_cannot_issue_codes(client, worker_account, beilun_official):
    client.force_login(worker_account)
    assert client.get("/office/activation-codes/").status_code == 403
    client.force_login(beilun_official)
    assert client.get("/office/activation-codes/").status_code == 403


def test_wrong_codes_count_toward_the_lockout(client, worker, worker_account):
    for _ in range(5):
        response = redeem(client, worker, "AAAA-BBBB-CCCC")
    assert response.status_code == 429
    assert worker.id_number not in every_axes_value()


def test_the_activation_pages_pass_the_basic_accessibility_check(client, worker):
    from tests.portal.test_pages import accessibility_problems

    for path in ("/login/", "/activate/", "/activate/code/"):
        assert accessibility_problems(client.get(path).content) == [], path
    activate(client, worker)
    assert accessibility_problems(client.get("/activate/password/").content) == []


def test_personas_still_log_in_through_the_test_client(beilun_clerk):
    # The lockout backend lets authenticate() without a request through (no client to count).
    assert Client().login(username=beilun_clerk.username, password=PASSWORD)


def test_user_factory_workers_are_unaffected(db):
    user = UserFactory(role=Role.WORKER)
    assert Client().login(username=user.username, password=PASSWORD)
