"""Receipts for seeded tuition claims: tiny valid PNG files, one per claim, as claim_submit requires.

Every tuition claim needs a receipt, and one receipt (by its content's SHA-256) backs one live claim
(training.rules.receipt_once). A seeded receipt is a 1×1 PNG that names its claim in a text chunk, so
each has its own hash, and the same claim gets the same file and the same path on every run.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

FOLDER = "receipts/seed"


def receipt_png(text: str) -> bytes:
    """A valid 1×1 grey PNG carrying ``text`` (a tEXt chunk): a different text, a different file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
        + chunk(b"tEXt", b"Comment\x00" + text.encode("utf-8"))
        + chunk(b"IDAT", zlib.compress(b"\x00\xc0"))
        + chunk(b"IEND", b"")
    )


def seed_receipt(claim_id: int) -> tuple[str, str, str]:
    """(stored path, name given, SHA-256) of a seeded claim's receipt, written once into the media storage."""
    content = receipt_png(f"seed tuition claim {claim_id}")
    path = f"{FOLDER}/{claim_id:09d}.png"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(content))
    return path, f"学费发票-{claim_id}.png", hashlib.sha256(content).hexdigest()
