"""Time and size of the sitemaps at N articles, in process (no server): full answers, 304s, the news sitemap.

Usage: .venv/bin/python bench/sitemaps.py [--n 120000]
The database is a SQLite file under bench/out/ (kept between runs). Aim: a full sitemap file
(SITEMAP_MAX_URLS, 1,000 URLs) in well under a second; a 304 in about a millisecond.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fill import fill_database  # noqa: E402

from config import Config  # noqa: E402
from feedsvc import create_app  # noqa: E402

OUT = ROOT / "bench" / "out"


def timed(client, path: str, headers: dict[str, str] | None = None,
          rounds: int = 3) -> tuple[float, int, str]:
    """Median milliseconds, status and ETag of ``rounds`` GETs of ``path``."""
    times, response = [], None
    for _ in range(rounds):
        start = time.perf_counter()
        response = client.get(path, headers=headers or {})
        body = response.data
        times.append((time.perf_counter() - start) * 1000)
    print(f"{path:22} {response.status_code}  {statistics.median(times):8.1f} ms  {len(body) / 1e6:6.2f} MB")
    return statistics.median(times), response.status_code, response.headers.get("ETag", "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=120_000)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    url = fill_database(OUT / f"sitemaps-{args.n}.sqlite3", args.n)
    config = Config({"FEEDSVC_DATABASE_URL": url, "FEEDSVC_PUBLIC_URL": "https://news.example.org",
                     "FEEDSVC_SCHEDULER": "off"})
    client = create_app(config).test_client()
    print(f"{args.n} articles")
    timed(client, "/sitemap.xml")
    _, _, etag = timed(client, "/sitemap-1.xml")
    timed(client, "/sitemap-1.xml", {"If-None-Match": etag}, rounds=20)
    timed(client, "/sitemap-news.xml")
    timed(client, "/robots.txt")


if __name__ == "__main__":
    main()
