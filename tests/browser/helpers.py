"""What the browser tests share: viewports and where screenshots go."""

import os
from pathlib import Path

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def screenshot_dir() -> Path:
    path = Path(os.environ.get("TEST_OUTPUT_DIR", "test-output")) / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


def totp_code(username: str) -> str:
    """The code an authenticator app would show now for the user's confirmed device, from its key."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from seed.totp import current_code

    device = TOTPDevice.objects.filter(user__username=username, confirmed=True).latest("id")
    return current_code(device)


def sign_in(page, base_url: str, username: str, password: str | None = None) -> None:
    """Sign in through the real pages: user name and password, then, for staff who need it, a TOTP code
    typed from the device's key (an authenticator is set up for them first, as a user would have)."""
    from portal.accounts.rights import requires_two_factor
    from portal.models import User
    from tests.conftest import PASSWORD, test_totp_device

    user = User.objects.get(username=username)
    needs_code = requires_two_factor(user)
    if needs_code:
        test_totp_device(user)
    page.goto(f"{base_url}/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password or PASSWORD)
    page.locator("form button[type=submit]").last.click()
    if needs_code:
        page.wait_for_url("**/account/two-factor/verify/**")
        page.locator("#id_code").fill(totp_code(username))
        page.locator("#main form button[type=submit]").first.click()
    page.wait_for_load_state()
