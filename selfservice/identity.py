"""Who is trying to sign in, without writing down who they claim to be: keyed hashes and client addresses.

django-axes records, counts and logs failed attempts under a "username". Workers type their ID number
there, so :func:`axes_username` turns whatever was typed into a keyed hash (HMAC, portal.crypto) before
axes sees it: lockout rows and log lines never hold an ID number, yet the same person typing it with a
lower-case x or full-width digits is counted once.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata

from django.conf import settings

from portal import crypto
from workers.validators import normalise_id_number

#: An ID number as typed after normalisation: 18 characters (17 digits and a check character), or
#: the old 15-digit form. Only the shape: a mistyped number must be hashed just like a real one.
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]|[0-9]{15}")
#: The opaque user name a worker account gets at activation: "w" and part of the ID number's keyed hash.
WORKER_USERNAME_PREFIX = "w"
WORKER_USERNAME_HASH_CHARS = 24
_WORKER_USERNAME = re.compile(rf"{WORKER_USERNAME_PREFIX}[0-9a-f]{{{WORKER_USERNAME_HASH_CHARS}}}")
_NAME_DOTS = re.compile(r"[·•‧∙⋅・.．]")


def looks_like_id_number(raw: object) -> bool:
    return bool(_ID_SHAPE.fullmatch(normalise_id_number(raw)))


def worker_username(id_number_hash: str) -> str:
    """The user name of a worker's account: derived from the keyed hash, so it says nothing by itself."""
    return WORKER_USERNAME_PREFIX + id_number_hash[:WORKER_USERNAME_HASH_CHARS]


def lockout_key(raw: object) -> str | None:
    """What axes records for an identifier: never the identifier itself when it could be personal data.

    An ID number maps to the user name its account has (or would have), so a failure typed as an ID
    number and the success of that worker's account share one counter. Anything else (staff user
    names, typos) is hashed too, with its own prefix.
    """
    if raw is None:
        return None
    text = str(raw).strip()
    if not text:
        return None
    if _WORKER_USERNAME.fullmatch(text):
        return text
    normalised = normalise_id_number(text)
    if _ID_SHAPE.fullmatch(normalised):
        return worker_username(crypto.blind_index(normalised))
    return "u" + crypto.blind_index("username:" + text)[:WORKER_USERNAME_HASH_CHARS]


def axes_username(request, credentials: dict | None) -> str | None:
    """AXES_USERNAME_CALLABLE: the keyed hash of the identifier of this attempt."""
    if credentials:
        raw = credentials.get("username")
    else:
        raw = getattr(request, "POST", {}).get("username") if request is not None else None
    return lockout_key(raw)


def client_ip(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the client's address, trusting X-Forwarded-For only as far as our proxies.

    With N trusted proxies, each appends the address it received the request from, so the client is
    the N-th entry from the right; anything further left was written by the client and may be forged.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0
    if count <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    forwarded = [part for part in forwarded if part]
    if len(forwarded) < count:
        return remote
    candidate = forwarded[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


def normalise_name(value: object) -> str:
    """Names as people type them on a phone: full-width forms, spaces and the many middle dots are equal."""
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = _NAME_DOTS.sub("·", text)
    return "".join(text.split()).casefold()
