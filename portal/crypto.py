"""Encryption at rest (AES-256-GCM) and keyed hashing (HMAC-SHA256) of personal data.

Keys come from settings:

* ``PERSONAL_DATA_KEYS``: ``["keyid:base64-of-32-bytes", ...]``. The first key encrypts, every key
  decrypts, so rotation is: put a new key first, run ``manage.py rotate_personal_data_key``, then
  drop the old key.
* ``PERSONAL_DATA_HASH_KEY``: base64 of at least 32 bytes, the key of the blind index used for exact
  lookups and uniqueness. It is never rotated by the command above: changing it invalidates every
  stored blind index.

With ``PERSONAL_DATA_DEV_KEYS`` on (settings.py sets it to DEBUG as the settings load; the test runner
turns DEBUG off later, this flag stays) and a key missing, deterministic development keys are derived
from SECRET_KEY with HKDF, so a fresh checkout works; settings.py refuses DEBUG=0 without real keys.

A token is ``version (1 byte) | key id length (1 byte) | key id | nonce (12 bytes) | ciphertext+tag``;
the header (version and key id) is the associated data, so a token cannot be relabelled to another key.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver

VERSION = 1
NONCE_SIZE = 12
KEY_SIZE = 32
HASH_KEY_MIN_SIZE = 32
DEV_KEY_ID = "dev"
_TAG_SIZE = 16
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_RELEVANT_SETTINGS = {
    "PERSONAL_DATA_KEYS",
    "PERSONAL_DATA_HASH_KEY",
    "PERSONAL_DATA_DEV_KEYS",
    "SECRET_KEY",
    "DEBUG",
}


class DecryptionError(Exception):
    """A token could not be decrypted: malformed, tampered with, or made with a key we do not have."""


@dataclass(frozen=True)
class _Keyring:
    current_key_id: str
    ciphers: dict[str, AESGCM]
    hash_key: bytes


def generate_key() -> str:
    """A fresh random 32-byte key, base64-encoded, for PERSONAL_DATA_KEYS or PERSONAL_DATA_HASH_KEY."""
    return base64.b64encode(os.urandom(KEY_SIZE)).decode("ascii")


def _decode_base64(text: str, *, what: str) -> bytes:
    text = text.strip()
    # Accept the URL-safe alphabet too: keys pasted from other tools often use it.
    altchars = b"-_" if ("-" in text or "_" in text) else None
    try:
        return base64.b64decode(text, altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{what} is not valid base64.") from None


def _derive_dev_key(label: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_SIZE,
        salt=b"reform-portal development keys",
        info=label.encode("ascii"),
    )
    return hkdf.derive(str(settings.SECRET_KEY).encode("utf-8"))


def parse_encryption_keys(raw: Sequence[str] | str | None) -> list[tuple[str, bytes]]:
    """[(key id, key bytes)] from PERSONAL_DATA_KEYS entries; ImproperlyConfigured on any bad entry."""
    if isinstance(raw, str):
        raw = [item for item in raw.split(",") if item.strip()]
    keys: list[tuple[str, bytes]] = []
    seen: set[str] = set()
    for position, entry in enumerate(raw or [], start=1):
        key_id, sep, encoded = str(entry).strip().partition(":")
        if not sep:
            raise ImproperlyConfigured(
                f'PERSONAL_DATA_KEYS entry {position} must look like "keyid:base64key" (no ":" found).'
            )
        if not _KEY_ID_RE.match(key_id):
            raise ImproperlyConfigured(
                f"PERSONAL_DATA_KEYS entry {position} has key id {key_id!r}; use 1-32 characters "
                "from A-Z, a-z, 0-9, '_', '.', '-'."
            )
        if key_id in seen:
            raise ImproperlyConfigured(
                f"PERSONAL_DATA_KEYS has key id {key_id!r} twice; each key needs its own id."
            )
        key = _decode_base64(encoded, what=f"PERSONAL_DATA_KEYS key {key_id!r}")
        if len(key) != KEY_SIZE:
            raise ImproperlyConfigured(
                f"PERSONAL_DATA_KEYS key {key_id!r} is {len(key)} bytes; AES-256 needs exactly {KEY_SIZE}. "
                "Generate one with `manage.py generate_personal_data_keys`."
            )
        seen.add(key_id)
        keys.append((key_id, key))
    return keys


@functools.lru_cache(maxsize=1)
def _keyring() -> _Keyring:
    # Decided when settings load, not from settings.DEBUG now: the test runner turns DEBUG off.
    dev_keys = bool(getattr(settings, "PERSONAL_DATA_DEV_KEYS", settings.DEBUG))
    keys = parse_encryption_keys(getattr(settings, "PERSONAL_DATA_KEYS", None))
    if not keys:
        if not dev_keys:
            raise ImproperlyConfigured(
                "PERSONAL_DATA_KEYS is empty and development keys are off (DEBUG=0). Set it (see "
                "`manage.py generate_personal_data_keys`); test suites set it in a fixture."
            )
        keys = [(DEV_KEY_ID, _derive_dev_key("portal.crypto personal-data encryption key"))]

    raw_hash_key = getattr(settings, "PERSONAL_DATA_HASH_KEY", None)
    if raw_hash_key:
        hash_key = _decode_base64(str(raw_hash_key), what="PERSONAL_DATA_HASH_KEY")
        if len(hash_key) < HASH_KEY_MIN_SIZE:
            raise ImproperlyConfigured(
                f"PERSONAL_DATA_HASH_KEY is {len(hash_key)} bytes; it must be at least {HASH_KEY_MIN_SIZE}."
            )
    elif dev_keys:
        hash_key = _derive_dev_key("portal.crypto blind-index key")
    else:
        raise ImproperlyConfigured(
            "PERSONAL_DATA_HASH_KEY is empty and development keys are off (DEBUG=0). Set it (see "
            "`manage.py generate_personal_data_keys`)."
        )
    # One key for two purposes would let whoever holds the hash key decrypt, and vice versa.
    if any(hmac.compare_digest(hash_key, key) for _, key in keys):
        raise ImproperlyConfigured("PERSONAL_DATA_HASH_KEY must differ from every PERSONAL_DATA_KEYS key.")

    return _Keyring(
        current_key_id=keys[0][0],
        ciphers={key_id: AESGCM(key) for key_id, key in keys},
        hash_key=hash_key,
    )


def reset_keys() -> None:
    """Forget the parsed keys, so the next call reads settings again."""
    _keyring.cache_clear()


@receiver(setting_changed)
def _reset_on_setting_changed(*, setting: str, **kwargs) -> None:
    if setting in _RELEVANT_SETTINGS:
        reset_keys()


def check_keys() -> None:
    """Parse the configured keys now, raising ImproperlyConfigured on any problem."""
    _keyring()


def current_key_id() -> str:
    """The id of the key that new tokens are encrypted with."""
    return _keyring().current_key_id


def _header(key_id: str) -> bytes:
    encoded = key_id.encode("ascii")
    return bytes([VERSION, len(encoded)]) + encoded


def _encrypt_with(keyring: _Keyring, plaintext: str) -> bytes:
    if not isinstance(plaintext, str):
        raise TypeError(f"encrypt() takes a str, not {type(plaintext).__name__}.")
    header = _header(keyring.current_key_id)
    nonce = os.urandom(NONCE_SIZE)
    ciphertext = keyring.ciphers[keyring.current_key_id].encrypt(nonce, plaintext.encode("utf-8"), header)
    return header + nonce + ciphertext


def encrypt(plaintext: str) -> bytes:
    """Encrypt with the current key; the same plaintext gives a different token every time."""
    return _encrypt_with(_keyring(), plaintext)


def encrypt_many(values: Sequence[str | None]) -> list[bytes | None]:
    """Encrypt a batch (imports, rotation); None stays None."""
    keyring = _keyring()
    return [None if value is None else _encrypt_with(keyring, value) for value in values]


def _split(token: bytes | bytearray | memoryview) -> tuple[bytes, str, bytes, bytes]:
    if not isinstance(token, bytes | bytearray | memoryview):
        raise DecryptionError(f"A token is bytes, not {type(token).__name__}.")
    data = bytes(token)
    if len(data) < 2:
        raise DecryptionError("The token is too short to be an encrypted value.")
    if data[0] != VERSION:
        raise DecryptionError(f"The token has format version {data[0]}; this code reads version {VERSION}.")
    id_length = data[1]
    header_end = 2 + id_length
    if id_length == 0 or len(data) < header_end + NONCE_SIZE + _TAG_SIZE:
        raise DecryptionError("The token is truncated.")
    try:
        key_id = data[2:header_end].decode("ascii")
    except UnicodeDecodeError:
        raise DecryptionError("The token's key id is not ASCII; the token is corrupt.") from None
    return (
        data[:header_end],
        key_id,
        data[header_end : header_end + NONCE_SIZE],
        data[header_end + NONCE_SIZE :],
    )


def key_id_of(token: bytes | bytearray | memoryview) -> str:
    """The id of the key a token was encrypted with (no decryption, no key needed)."""
    return _split(token)[1]


def decrypt(token: bytes | bytearray | memoryview) -> str:
    """Decrypt a token made by encrypt() with any configured key."""
    header, key_id, nonce, ciphertext = _split(token)
    cipher = _keyring().ciphers.get(key_id)
    if cipher is None:
        raise DecryptionError(
            f"The token was encrypted with key id {key_id!r}, which is not in PERSONAL_DATA_KEYS; "
            "was a key removed before rotation finished?"
        )
    try:
        plaintext = cipher.decrypt(nonce, ciphertext, header)
    except InvalidTag:
        raise DecryptionError(
            f"The token failed authentication with key {key_id!r}: the key is wrong or the token was altered."
        ) from None
    return plaintext.decode("utf-8")


def needs_reencryption(token: bytes | bytearray | memoryview | None) -> bool:
    """Whether a stored token was made with a key other than the current one (None and b"" do not)."""
    if token is None or len(token) == 0:
        return False
    return key_id_of(token) != current_key_id()


def reencrypt(token: bytes | bytearray | memoryview) -> bytes:
    """Decrypt with whichever configured key made the token, encrypt again with the current key."""
    return encrypt(decrypt(token))


def blind_index(value: str) -> str:
    """HMAC-SHA256 of an already normalised value, as 64 hex characters, for lookups and uniqueness."""
    if not isinstance(value, str):
        raise TypeError(f"blind_index() takes a str, not {type(value).__name__}.")
    return hmac.new(_keyring().hash_key, value.encode("utf-8"), hashlib.sha256).hexdigest()
