"""/websub/upstreams/<name>: the WebSub subscriber callback of a feed upstream (verify intent, content).

A hub verifies a subscription with a GET (answered with its challenge only for a subscription we asked
for) and delivers content with a POST signed by the subscription's secret (``X-Hub-Signature``).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, request

from feedsvc.articles import receive_push, verify_intent
from feedsvc.core.db import get_session
from feedsvc.core.errors import RETRY_AFTER, error_response

bp = Blueprint("websub_callback", __name__)
# What a push's outcome answers: 2xx only for content written; 410 tells a hub to stop delivering.
PUSH_STATUS = {"unknown": 410, "bad-signature": 403, "busy": 503, "malformed": 400}


@bp.get("/websub/upstreams/<name>")
def verify_subscription(name: str) -> Response:
    """The hub's verification of intent: 200 with ``hub.challenge`` for our subscription, else 404."""
    args = request.args
    challenge = verify_intent(get_session(), name, args.get("hub.mode", ""), args.get("hub.topic", ""),
                              args.get("hub.challenge", ""), args.get("hub.lease_seconds", ""),
                              args.get("hub.reason", ""), datetime.now(UTC).replace(microsecond=0))
    if challenge is None:
        return error_response(404, f"no subscription of {name!r} to this topic is waiting to be verified")
    return Response(challenge, content_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": "no-store"})


@bp.post("/websub/upstreams/<name>")
def receive_content(name: str) -> Response:
    """The hub's content distribution: written when signed with our secret (204), else refused."""
    outcome = receive_push(name, request.get_data(cache=False), request.content_type or "",
                           request.headers.get("X-Hub-Signature", ""))
    if outcome.result == "accepted":
        return Response(status=204, headers={"Cache-Control": "no-store"})
    headers = {"Retry-After": str(RETRY_AFTER)} if outcome.result == "busy" else None
    return error_response(PUSH_STATUS[outcome.result], outcome.message, headers=headers)
