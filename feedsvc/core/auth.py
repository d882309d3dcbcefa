"""API tokens: create (shown once), store only a hash, verify in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any

from flask import request
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.exceptions import Unauthorized

from feedsvc.core.db import get_session
from feedsvc.core.models import ApiToken
from feedsvc.core.ratelimit import check_auth_failures, count_auth_failure

TOKEN_PREFIX = "fsv_"  # noqa: S105 - a public prefix, not a secret


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token (tokens are random, so no salt or slow hash is needed)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_token(session: Session, name: str) -> str:
    """Create a token called ``name`` and return its secret, which is never stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_hash=hash_token(token), created_at=datetime.now(UTC)))
    return token


def list_tokens(session: Session) -> list[ApiToken]:
    """Every active token, oldest first."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.created_at, ApiToken.id)))


def revoke_token(session: Session, name: str) -> bool:
    """Delete the token called ``name``; False when there is none."""
    token = session.scalar(select(ApiToken).where(ApiToken.name == name))
    if token is None:
        return False
    session.delete(token)
    return True


def verify_token(session: Session, presented: str) -> ApiToken | None:
    """The token whose hash matches ``presented``, compared in constant time."""
    digest = hash_token(presented)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    # The lookup is by hash, so timing reveals nothing about the secret; compare anyway.
    if token is not None and hmac.compare_digest(token.token_hash, digest):
        return token
    return None


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def checked_token(presented: str) -> ApiToken | None:
    """The token ``presented`` names, or None; a client past its failed-authentication limit gets a 429.

    Every route that reads a token goes through here, so guessing is limited on reads as on writes.
    """
    check_auth_failures()
    token = verify_token(get_session(), presented)
    if token is None:
        count_auth_failure()
    return token


def token_holder() -> bool:
    """True when the request carries a valid bearer token, False when none; an invalid one is a 401."""
    presented = _bearer_token()
    if presented is None:
        return False
    if checked_token(presented) is None:
        raise Unauthorized("the bearer token is not valid")
    return True


def has_valid_token() -> bool:
    """True when the request carries a valid bearer token; a missing or invalid one is simply False."""
    presented = _bearer_token()
    return presented is not None and checked_token(presented) is not None


def token_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Reject the request with 401 unless it carries a valid ``Authorization: Bearer`` token."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        presented = _bearer_token()
        if presented is None:
            raise Unauthorized("a bearer token is required: Authorization: Bearer <token>")
        token = checked_token(presented)
        if token is None:
            raise Unauthorized("the bearer token is not valid")
        # Saved with the write it authorised (the view commits); a failed write leaves no trace.
        token.last_used_at = datetime.now(UTC)
        return view(*args, **kwargs)

    return wrapper
