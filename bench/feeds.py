"""Feed and page throughput under gunicorn (2 workers), measured with wrk, relative to a no-op route.

Usage: .venv/bin/python bench/feeds.py [--n 10000 --n 100000] [--duration 5] [--rounds 3] [--connections 8]
Needs `wrk` (Debian: apt-get install wrk). Databases are SQLite files under bench/out/ (kept between runs).
Aims: feed 200 >= 0.6 x floor, 304 >= 0.8 x floor, listing page >= 0.3 x floor, and latency
that does not grow with N.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from fill import fill_database  # noqa: E402

OUT = ROOT / "bench" / "out"
AIMS = {"feed 200": 0.6, "feed 304": 0.8, "page 50": 0.3}


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    """Run gunicorn with two sync workers on the bench database; wait until it answers."""
    env = {**os.environ, "FEEDSVC_DATABASE_URL": url, "FEEDSVC_SCHEDULER": "off"}
    env.pop("FEEDSVC_CACHE_URL", None)
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--pythonpath", f"{ROOT},{ROOT / 'bench'}", "--log-level", "warning", "wsgi_bench:app"],
        env=env, cwd=ROOT,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_bench/floor", timeout=1).read()
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def warm(url: str) -> tuple[str, float]:
    """Fetch ``url`` a few times (both workers fill their caches); its ETag and first (uncached) time."""
    etag, first = "", 0.0
    for attempt in range(6):
        started = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            etag = response.headers.get("ETag", "")
        first = first if attempt else (time.perf_counter() - started) * 1000
    return etag, first


def run_wrk(url: str, duration: int, connections: int, headers: dict[str, str]) -> dict[str, float]:
    """Requests/s, p50 and p99 latency (ms) of one wrk run."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if re.search(r"Non-2xx or 3xx responses: \d+", output):
        raise SystemExit(f"errors while loading {url}:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    return {"rps": rps, "p50": _ms(output, "50%"), "p99": _ms(output, "99%")}


def _ms(output: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def report(results: dict[str, list[dict[str, float]]]) -> None:
    """Print the median of each case and its ratio to the floor."""
    print(f"{'case':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'x floor':>8}  aim")
    floor = statistics.median(r["rps"] for r in results["floor"])
    for name, runs in results.items():
        rps = statistics.median(r["rps"] for r in runs)
        p50 = statistics.median(r["p50"] for r in runs)
        p99 = statistics.median(r["p99"] for r in runs)
        aim = AIMS.get(name)
        verdict = "" if aim is None else f">= {aim}  {'ok' if rps / floor >= aim else 'MISSED'}"
        print(f"{name:<10} {rps:>9.0f} {p50:>8.2f} {p99:>8.2f} {rps / floor:>8.2f}  {verdict}")


def bench(count: int, args: argparse.Namespace) -> None:
    """Fill, serve and measure one database size."""
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    url = fill_database(OUT / f"feeds-{count}.sqlite3", count)
    print(f"\nN = {count:,} articles (database ready in {time.perf_counter() - started:.1f} s)")
    server = start_server(url, args.port)
    base = f"http://127.0.0.1:{args.port}"
    try:
        etag, feed_ms = warm(base + "/feeds/kazakhstan.atom")
        _, page_ms = warm(base + "/kazakhstan?page=50")
        print(f"first, uncached request: feed {feed_ms:.1f} ms, page 50 {page_ms:.1f} ms")
        cases = [
            ("floor", "/_bench/floor", {}),
            ("feed 200", "/feeds/kazakhstan.atom", {}),
            ("feed 304", "/feeds/kazakhstan.atom", {"If-None-Match": etag}),
            ("page 50", "/kazakhstan?page=50", {}),
        ]
        # Cases are interleaved over several rounds and the median kept: the machine may be shared.
        results: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in cases}
        for _ in range(args.rounds):
            for name, path, headers in cases:
                results[name].append(run_wrk(base + path, args.duration, args.connections, headers))
        report(results)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    """Parse arguments and run every size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="articles (repeatable; default 100000)")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs per case (median kept)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; gunicorn 2 sync workers; wrk 1 thread, "
          f"{args.connections} connections, median of {args.rounds} interleaved {args.duration} s runs")
    for count in args.n or [100_000]:
        bench(count, args)


if __name__ == "__main__":
    main()
