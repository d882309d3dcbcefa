"""How a kept payload is stored: its bytes zlib-compressed, named by the SHA-256 of the bytes as sent."""

from __future__ import annotations

import base64
import hashlib
import zlib

LEVEL = 9  # payloads are written once and read rarely: the smallest size is worth the time


def sha256_hex(body: bytes) -> str:
    """The SHA-256 of ``body``, in hex: a payload's name."""
    return hashlib.sha256(body).hexdigest()


def content_digest(sha256: str) -> str:
    """The ``Content-Digest`` value (RFC 9530) of a payload named ``sha256``: ``sha-256=:<base64>:``."""
    return f"sha-256=:{base64.b64encode(bytes.fromhex(sha256)).decode()}:"


def pack(body: bytes) -> bytes:
    """The stored form of ``body``."""
    return zlib.compress(body, LEVEL)


def unpack(stored: bytes) -> bytes:
    """The bytes as the source sent them, from their stored form."""
    return zlib.decompress(stored)
