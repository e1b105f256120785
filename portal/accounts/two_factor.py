"""Two-factor sign-in with django-otp: the TOTP device, recovery codes, the enrolment QR code as SVG."""

from __future__ import annotations

import io
from base64 import b32encode
from binascii import unhexlify

from django.conf import settings
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

TOTP_DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery"


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-id").first()


def has_second_factor(user) -> bool:
    """A confirmed authenticator: recovery codes alone are no enrolment."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_totp(user) -> TOTPDevice:
    """The unconfirmed device an enrolment page shows (one per user, reused until confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed: base32, in groups of four."""
    text = b32encode(unhexlify(device.key)).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def qr_svg(device: TOTPDevice) -> bytes:
    """The otpauth:// address as an SVG QR code, drawn here: no script, no other site (CSP)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()


def verify_code(user, code: str):
    """The device (authenticator or a recovery code, used up) that accepts ``code``, or None.

    django-otp throttles each device after failures (OTP_TOTP_THROTTLE_FACTOR) and refuses a TOTP code
    it has already accepted, so a code seen over a shoulder cannot be replayed.
    """
    code = "".join((code or "").split())
    if not code:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(code):
                return device
    return None


def mark_verified(request, device) -> None:
    otp_login(request, device)


def is_verified(request) -> bool:
    user = request.user
    verified = getattr(user, "is_verified", None)
    return bool(verified and verified())


def new_recovery_codes(user, *, count: int | None = None) -> list[str]:
    """Replace the user's recovery codes with fresh ones; each works once, and only after the password."""
    count = count or settings.OTP_RECOVERY_CODES
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(count)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def forget_devices(user) -> int:
    """Remove every second factor of the user (authenticator and recovery codes); returns how many."""
    totp, _ = TOTPDevice.objects.filter(user=user).delete()
    static, _ = StaticDevice.objects.filter(user=user).delete()
    return totp + static


__all__ = [
    "DEVICE_ID_SESSION_KEY",
    "confirmed_totp",
    "forget_devices",
    "has_second_factor",
    "is_verified",
    "mark_verified",
    "new_recovery_codes",
    "pending_totp",
    "qr_svg",
    "recovery_codes_left",
    "secret_base32",
    "verify_code",
]
