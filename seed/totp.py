"""Demo authenticators: published keys for the demo staff (seed_demo), and their current codes (demo_totp)."""

import hashlib

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.two_factor import TOTP_DEVICE_NAME


def demo_key(username: str) -> str:
    """A fixed key per demo account (hex, 20 bytes): published, like the demo passwords."""
    return hashlib.sha1(f"reform-portal-demo-totp:{username}".encode()).hexdigest()  # noqa: S324


def demo_totp_device(user) -> TOTPDevice:
    """The account's confirmed authenticator with its published demo key (replacing any other)."""
    key = demo_key(user.username)
    device = TOTPDevice.objects.filter(user=user, key=key, confirmed=True).first()
    if device is None:
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, key=key, confirmed=True)
    return device


def current_code(device: TOTPDevice, *, at: float | None = None) -> str:
    """The code an authenticator app shows now for ``device``, or the next one if now's was used already.

    django-otp accepts each time step once (``last_t``) and tolerates one step ahead, so a second
    sign-in within the same 30 seconds uses the next step's code.
    """
    import time

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at if at is not None else time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"
