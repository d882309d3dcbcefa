"""The payload archive: every answer kept once, compressed and named by its SHA-256; served back as sent
with its digest (RFC 9530); rows name it with provenance=1; ``feedsvc rates verify`` parses them again."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from feedsvc.core.models import RateFetch, RateObservation, RatePayload
from feedsvc.rates.ingest import jobs

DAY = date(2026, 4, 1)
NBK_FILE = "nbk/get_rates_fdate_01.04.2026.xml"
NBK_TYPE = "text/xml; charset=utf-8"


@pytest.fixture
def nbk_app(app_factory, mirror, upstream_bytes, fast_http) -> Flask:
    """An app with NBK and currency-api on the mirror, NBK's table of DAY stored by a backfill."""
    mirror.serve("nbk", DAY, upstream_bytes(NBK_FILE), content_type=NBK_TYPE)
    mirror.answer_404_elsewhere()
    app = app_factory(SOURCE_URLS=mirror.urls(), RATES_SOURCES=("nbk", "currency-api"), RATES_GAP_DAYS=1,
                      **fast_http)
    with app.app_context():
        summary = jobs.backfill("nbk", DAY, DAY)
    assert summary.error is None and summary.rows_written == 39
    return app


def count(app: Flask, model: type) -> int:
    with Session(app.extensions["feedsvc.engine"]) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_every_answer_is_kept_once_compressed_with_its_fetch(nbk_app: Flask, upstream_bytes) -> None:
    real = upstream_bytes(NBK_FILE)
    with Session(nbk_app.extensions["feedsvc.engine"]) as session:
        payload = session.scalars(select(RatePayload)).one()
        fetch = session.scalars(select(RateFetch)).one()
        assert (payload.sha256, payload.size) == (hashlib.sha256(real).hexdigest(), len(real))
        assert len(payload.body) < len(real) / 3  # compressed
        assert (fetch.source, fetch.day, fetch.status, fetch.media_type) == ("nbk", DAY, 200, NBK_TYPE)
        assert fetch.url.endswith("/rss/get_rates.cfm?fdate=01.04.2026")
        names = session.scalars(select(RateObservation.fetch_id).distinct()).all()
        assert names == [fetch.id]  # every line names the payload it came from
    with nbk_app.app_context():  # fetched again, unchanged: nothing new is kept
        jobs.backfill("nbk", DAY, DAY)
        jobs.update(["nbk"], today=DAY)
    assert (count(nbk_app, RatePayload), count(nbk_app, RateFetch)) == (1, 1)


def test_the_payload_route_answers_the_bytes_as_sent_with_their_digest(nbk_app: Flask,
                                                                       upstream_bytes) -> None:
    real = upstream_bytes(NBK_FILE)
    client = nbk_app.test_client()
    response = client.get(f"/rates/sources/nbk/payloads/{DAY}")
    assert response.status_code == 200 and response.data == real
    assert response.headers["Content-Type"] == NBK_TYPE
    digest = base64.b64encode(hashlib.sha256(response.data).digest()).decode()
    assert response.headers["Content-Digest"] == f"sha-256=:{digest}:"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert 'rel="via"' in response.headers["Link"]
    etag = response.headers["ETag"]
    again = client.get(f"/rates/sources/nbk/payloads/{DAY}", headers={"If-None-Match": etag})
    assert again.status_code == 304


@pytest.mark.parametrize(("path", "status", "says"), [
    ("/rates/sources/nbk/payloads/2026-04-02", 404, "no payload of nbk kept for 2026-04-02"),
    ("/rates/sources/ecb/payloads/2026-04-01", 404, "unknown source 'ecb'; known: nbk, nbkr"),
    ("/rates/sources/nbk/payloads/2026-02-30", 400, "not a calendar date"),
    ("/rates/sources/nbk/payloads/2026-04-01?x=1", 400, "x"),
])
def test_no_payload_is_a_4xx_in_the_error_shape(nbk_app: Flask, path: str, status: int, says: str) -> None:
    response = nbk_app.test_client().get(path)
    assert response.status_code == status
    assert says in response.get_json()["error"]["message"]


def test_provenance_names_the_payload_of_every_row(nbk_app: Flask, upstream_bytes) -> None:
    digest = hashlib.sha256(upstream_bytes(NBK_FILE)).hexdigest()
    client = nbk_app.test_client()
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/rates.csv?from={DAY}&to={DAY}&pairs=KZT/USD,USD/KZT&provenance=1").text)))
    assert [(r["pair"], r["source"], r["digest"]) for r in rows] == [
        ("KZT/USD", "nbk", digest), ("USD/KZT", "nbk", digest)]
    plain = client.get(f"/rates.csv?from={DAY}&to={DAY}&pairs=KZT/USD").text
    assert plain.splitlines()[0] == "date,pair,rate,change_pct,source"  # opt-in only
    json_rows = client.get(f"/rates.json?from={DAY}&to={DAY}&pairs=KZT/USD&provenance=1").get_json()["rates"]
    assert json_rows[0]["digest"] == digest
    ndjson = client.get(f"/rates.ndjson?from={DAY}&to={DAY}&pairs=KZT/USD&provenance=1&source=nbk").text
    assert f'"digest": "{digest}"' in ndjson
    for bad in ("provenance=2", "provenance=1&group=week", "provenance=1&layout=wide"):
        response = client.get(f"/rates.csv?from={DAY}&to={DAY}&{bad}")
        assert response.status_code == 400 and "provenance" in response.get_json()["error"]["fields"]


def test_verify_is_clean_then_reports_a_value_altered_by_hand(nbk_app: Flask) -> None:
    runner = nbk_app.test_cli_runner()
    clean = runner.invoke(args=["rates", "verify", "--source", "nbk"])
    assert clean.exit_code == 0, clean.output
    assert "1 payloads parsed again: 0 stored values differ" in clean.output
    with Session(nbk_app.extensions["feedsvc.engine"]) as session, session.begin():
        session.execute(text("UPDATE rate_observations SET value = '478.78' "
                             "WHERE currency = 'USD' AND quote = 'KZT'"))
    altered = runner.invoke(args=["rates", "verify", "--from", f"{DAY}", "--to", f"{DAY}"])
    assert altered.exit_code == 1
    assert "nbk 2026-04-01 USD/KZT: stored 478.78 per 1, its payload says 478.77 per 1" in altered.output
    assert "1 stored values differ" in altered.output
    elsewhere = runner.invoke(args=["rates", "verify", "--from", "2026-04-02"])
    assert elsewhere.exit_code == 0 and "0 payloads parsed again" in elsewhere.output
