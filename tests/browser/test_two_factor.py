"""Two-factor sign-in in Debian's Chromium: a city clerk enrols an authenticator, signs out, signs in with a code."""

import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from portal.choices import Role
from tests.browser.helpers import PHONE, screenshot_dir
from tests.browser.test_shell import new_page
from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def authenticator(secret_shown: str):
    """What the clerk's phone app computes from the key typed off the page."""
    key = b32decode(secret_shown.replace(" ", "") + "=" * (-len(secret_shown.replace(" ", "")) % 8))
    return TOTP(key)


def code_at(totp: TOTP, step: int) -> str:
    totp.time = step * totp.step
    return f"{totp.token():06d}"


def test_a_city_clerk_enrols_signs_out_and_signs_in_with_the_code(live_server, browser, roles):
    UserFactory(username="new_city_clerk", role=Role.CITY_STAFF)
    base = live_server.url
    shots = screenshot_dir()
    page = new_page(browser, PHONE)
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))

    # Password first: the admin is out of reach until an authenticator is set up.
    page.goto(f"{base}/login/")
    page.locator("#id_username").fill("new_city_clerk")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/account/two-factor/enrol/**")
    page.goto(f"{base}/admin/")
    page.wait_for_url("**/account/two-factor/enrol/**")
    # The QR code is drawn (an image from our own origin), and the key is shown for typing.
    page.wait_for_function("document.querySelector('img.qr-code').naturalWidth > 0")
    secret = page.locator("#totp-secret").inner_text()
    page.screenshot(path=shots / "two-factor-enrol-phone-zh.png", full_page=True)
    phone = authenticator(secret)
    enrol_step = int(time.time()) // 30
    page.locator("#id_code").fill(code_at(phone, enrol_step))
    page.locator("#main form button[type=submit]").first.click()
    codes = page.locator("#recovery-codes li")
    codes.first.wait_for()
    assert codes.count() == 10
    page.locator("a.button--primary").click()
    page.wait_for_url(f"{base}/admin/")

    # Sign out, then in again: the password, then the app's next code (each code is accepted once).
    page.goto(f"{base}/logout/")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(f"{base}/login/")
    page.locator("#id_username").fill("new_city_clerk")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/account/two-factor/verify/**")
    page.locator("#id_code").fill(code_at(phone, enrol_step))  # the code already used
    page.locator("#main form button[type=submit]").first.click()
    assert page.locator(".field--invalid").count() == 1
    page.screenshot(path=shots / "two-factor-verify-phone-zh.png", full_page=True)
    time.sleep(1.1)  # django-otp waits a second after a wrong code before it checks another
    page.locator("#id_code").fill(code_at(phone, max(enrol_step + 1, int(time.time()) // 30)))
    page.locator("#main form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/admin/")
    assert violations == []
