"""WebSub subscriber: a feed that names a hub is subscribed to, and pushed to instead of polled.

A sync that finds ``<link rel="hub">`` (JSON Feed ``hubs``) asks the hub to subscribe our callback,
``FEEDSVC_PUBLIC_URL/websub/upstreams/<name>``, with a secret of its own per subscription. The hub checks
our intent (a GET the callback answers with the challenge only for the topic we asked for), then POSTs
each new version of the feed, signed with the secret (``X-Hub-Signature: sha256=...``); a push whose
signature does not match is refused. While the subscription is active the scheduler does not poll the
feed; it is renewed by the first sync due in its last hour. Without FEEDSVC_PUBLIC_URL there is no callback
a hub could reach: the feed is polled, and ``upstreams list`` says why.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from feedsvc.articles.upstreams.registry import get_upstream
from feedsvc.core.fetch import http_timeout
from feedsvc.core.jobs import utcnow
from feedsvc.core.models import Upstream

if TYPE_CHECKING:
    from feedsvc.articles.upstreams.feed import ParsedFeed
    from feedsvc.articles.upstreams.sync import Run

LEASE = timedelta(days=10)  # asked of the hub; it may grant another
MAX_LEASE = timedelta(days=365)
PENDING_RETRY = timedelta(hours=1)  # a hub that never verified is asked again after this
RENEW_BEFORE = timedelta(hours=1)  # a subscription this close to its end is renewed (and the feed polled)
DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}


def callback_url(public_url: str, name: str) -> str:
    """Where the hub verifies our intent and pushes the feed."""
    return f"{public_url.rstrip('/')}/websub/upstreams/{name}"


def is_pushed(upstream: Upstream, now: datetime) -> bool:
    """True while an active subscription has more than an hour left: no polling then."""
    expires = upstream.websub_expires_at
    return upstream.websub_state == "active" and expires is not None and expires - now > RENEW_BEFORE


def keep_subscribed(run: Run, parsed: ParsedFeed | None) -> None:
    """Subscribe to the feed's hub, or renew, when due; a failure is noted and the feed stays polled."""
    upstream, now = run.upstream, utcnow()
    hub = parsed.hub if parsed is not None else upstream.hub
    if not hub:
        return
    if not run.config.get("PUBLIC_URL"):
        upstream.hub, upstream.websub_note = hub, (f"the feed names the hub {hub}, but without "
                                                   "FEEDSVC_PUBLIC_URL no hub can reach us: polled instead")
        run.commit()
        return
    topic = (parsed.self_url if parsed is not None else None) or upstream.topic or upstream.url
    retry = upstream.websub_expires_at
    waiting = upstream.websub_state == "pending" and retry is not None and retry > now
    if (is_pushed(upstream, now) or waiting) and upstream.hub == hub and upstream.topic == topic:
        return
    secret = secrets.token_hex(32)
    data = {"hub.mode": "subscribe", "hub.topic": topic, "hub.secret": secret,
            "hub.callback": callback_url(run.config["PUBLIC_URL"], upstream.name),
            "hub.lease_seconds": str(int(LEASE.total_seconds()))}
    run.check()
    run.count_request()
    try:
        answer = run.http.post(hub, data=data, timeout=http_timeout(run.config), allow_redirects=False)
        answer.close()
    except Exception as exc:  # noqa: BLE001 - any failure leaves the feed polled, with the reason shown
        upstream.websub_note = f"subscribing at {hub} failed: {exc.__class__.__name__}: {exc}"
    else:
        if answer.status_code in (202, 204):
            upstream.hub, upstream.topic, upstream.websub_secret = hub, topic, secret
            upstream.websub_state, upstream.websub_expires_at = "pending", now + PENDING_RETRY
            upstream.websub_note = f"subscription asked of {hub}; waiting for it to verify our intent"
        else:
            upstream.websub_note = f"subscribing at {hub} failed: HTTP {answer.status_code}"
    run.commit()


def verify_intent(session: Session, name: str, mode: str, topic: str, challenge: str,
                  lease_seconds: str, reason: str, now: datetime) -> str | None:
    """The challenge to echo when the hub verifies a subscription we asked for; None: not ours (404).

    A denial is recorded (and answered with an empty body).
    """
    upstream = get_upstream(session, name)
    if upstream is None or upstream.kind != "feed" or not upstream.topic or topic != upstream.topic:
        return None
    if mode == "denied":
        upstream.websub_state, upstream.websub_note = "denied", f"the hub denied the subscription: {reason}"
        session.commit()
        return ""
    if mode != "subscribe" or upstream.websub_state not in ("pending", "active") or not challenge:
        return None
    seconds = int(lease_seconds) if lease_seconds.isascii() and lease_seconds.isdigit() else None
    lease = min(timedelta(seconds=seconds), MAX_LEASE) if seconds else LEASE
    upstream.websub_state, upstream.websub_expires_at = "active", now + lease
    upstream.websub_note = f"pushed by {upstream.hub} until {(now + lease).isoformat()}"
    session.commit()
    return challenge


def signature_matches(secret: str | None, body: bytes, header: str) -> bool:
    """True when ``X-Hub-Signature`` (``sha256=<hex>``, or sha1/384/512) is the body's HMAC by our secret."""
    method, _, given = header.partition("=")
    digest = DIGESTS.get(method.strip().lower())
    if not secret or digest is None or not given:
        return False
    expected = hmac.new(secret.encode(), body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())
