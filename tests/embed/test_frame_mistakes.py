"""A mistake in an iframe's URL answers a small frameable page naming the parameter and what it accepts."""

from __future__ import annotations

import lxml.html
import pytest


@pytest.mark.parametrize(("path", "status", "words"), [
    ("/embed/rates?pairs=USD/EUR", 400, ["pairs", "EUR", "allowed", "KZT"]),
    ("/embed/kazakhstan?limit=500", 400, ["limit", "1 to 100"]),
    ("/embed/atlantis", 404, ["country", "atlantis", "allowed", "kazakhstan", "all"]),
])
def test_frame_mistake_pages(client, path, status, words):
    response = client.get(path)
    assert response.status_code == status and response.mimetype == "text/html"
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]  # shown inside the frame
    assert response.headers["Cache-Control"] == "no-store"
    message = lxml.html.fromstring(response.data).xpath("//p[@role='alert']")[0].text_content()
    assert message.startswith(words[0] + ":") and all(word in message for word in words)
    assert "Traceback" not in response.get_data(as_text=True)


def test_builder_mistakes_keep_the_site_page(client):
    response = client.get("/embed?limit=0")
    assert response.status_code == 400
    assert "frame-ancestors 'self'" in response.headers["Content-Security-Policy"]
