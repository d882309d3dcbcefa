"""Load on the shipped deployment: a read mix (wrk) and a writer at 10 writes/s, on gunicorn and via nginx.

Usage: .venv/bin/python bench/load.py [--duration 60] [--clients 200] [--writes 10]
                                      [--database-url postgresql://postgres@127.0.0.1:5432/feedsvc_load]
Needs wrk, nginx and openssl (Debian: apt-get install wrk nginx-light), and Redis on 127.0.0.1:6379 (the
byte cache and rate-limit counters, under a prefix of its own). One gunicorn node runs deploy/gunicorn.conf.py
(workers from cores) on the demo data; the same mix runs straight against it, then through nginx with
deploy/nginx/feedsvc.conf (tests/ops/cluster.py: only ports, addresses and paths substituted). Aims:
0 errors, 0 lost writes, nginx >= 10 x the direct figure on the read mix. Figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "ops"))

from cluster import HOST, Cluster, LoopbackHTTPS, drop_keys, fetch, free_port, node_env, tls_context  # noqa: E402

BIN = Path(sys.executable).parent
# The read mix, by weight. Series queries (/rates.csv, .json, .ndjson, the /rates page) are left out: the
# proxy limits them per client address (5/s), and every request here comes from one address. The API's
# reads are never cached by the proxy (read-your-writes), so they are a small share, as for a feed site.
FEEDS_200 = [("/feeds/all.atom", 8), ("/feeds/kazakhstan.rss", 8), ("/feeds/kyrgyzstan.json", 5),
             ("/feeds/all.json", 4)]
FEEDS_304 = ["/feeds/kyrgyzstan.atom", "/feeds/tajikistan.rss", "/feeds/uzbekistan.json"]  # 8 each
PAGES = [("/", 8), ("/kazakhstan", 6), ("/uzbekistan", 4), ("/tags/energy", 2)]
RATES = [("/rates/latest.json", 10), ("/embed/rates", 5), ("/rates/sources.json", 3),
         ("/embed/kyrgyzstan", 2)]
API = [("/api/articles?country=kyrgyzstan", 2), ("/api/countries", 1), ("/api/articles?per_page=5", 1)]


def cli(env: dict[str, str], *args: str) -> str:
    """Run the feedsvc command with ``env``; its standard output."""
    return subprocess.run([str(BIN / "feedsvc"), *args], env=env, capture_output=True, text=True,
                          check=True, timeout=600).stdout


def mix_script(directory: Path, etags: dict[str, str]) -> Path:
    """A wrk Lua script cycling through the weighted mix (shuffled once, the same for both runs)."""
    host = {"Host": HOST}  # wrk.format at load time knows no host yet
    entries = [(path, host) for path, weight in FEEDS_200 + PAGES + RATES + API for _ in range(weight)]
    entries += [(path, {**host, "If-None-Match": etags[path]}) for path in FEEDS_304 for _ in range(8)]
    order = sorted(range(len(entries)), key=lambda i: (i * 7919) % len(entries))  # a fixed interleaving
    lines = []
    for i in order:
        path, headers = entries[i]
        header = ", ".join(f'["{name}"] = {json.dumps(value)}' for name, value in headers.items())
        lines.append(f'  wrk.format("GET", {json.dumps(path)}, {{{header}}}),')
    directory.mkdir(exist_ok=True)
    script = directory / "mix.lua"
    script.write_text("local requests = {\n" + "\n".join(lines) + "\n}\nlocal i = 0\n"
                      "request = function()\n  i = i % #requests + 1\n  return requests[i]\nend\n")
    return script


def run_wrk(url: str, script: Path, args: argparse.Namespace) -> dict[str, float]:
    """Requests/s, p50/p99 (ms) and errors (non-2xx/3xx answers and socket errors) of one wrk run."""
    command = ["wrk", f"-t{args.threads}", f"-c{args.clients}", f"-d{args.duration}s", "--timeout", "10s",
               "--latency", "-s", str(script), url]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
            "p50": _ms(output, "50%"), "p99": _ms(output, "99%"),
            "errors": errors + (int(bad.group(1)) if bad else 0)}


def _ms(output: str, label: str) -> float:
    value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


class Writer(threading.Thread):
    """POSTs an article every 1/rate s, on a fixed schedule (a slow answer delays no other write)."""

    def __init__(self, connect, token: str, rate: float, label: str) -> None:  # noqa: ANN001 - a factory
        super().__init__(daemon=True)
        self.connect, self.token, self.rate, self.label = connect, token, rate, label
        self.sent, self.failed, self.ids = 0, 0, []
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def run(self) -> None:  # noqa: D102 - threading's entry point
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=64) as pool:
            while not self.stopping.wait(max(0.0, started + self.sent / self.rate - time.monotonic())):
                self.sent += 1
                pool.submit(self.write, self.sent)

    def write(self, number: int) -> None:
        """One POST; its id is kept, or it counts as failed."""
        body = json.dumps({"title": f"Load {self.label} write {number}", "countries": ["kazakhstan"]})
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            answer = fetch(self.connect(), "POST", "/api/articles", headers, body.encode())
        except OSError:
            answer = None
        with self.lock:
            if answer is not None and answer.status == 201:
                self.ids.append(json.loads(answer.body)["id"])
            else:
                self.failed += 1


def count_found(node_port: int, ids: list[int]) -> int:
    """How many of the written articles the API returns afterwards."""
    return sum(fetch(http.client.HTTPConnection("127.0.0.1", node_port, timeout=30), "GET",
                     f"/api/articles/{article_id}").status == 200 for article_id in ids)


def measure(name: str, url: str, connect, script: Path, token: str, node_port: int,  # noqa: ANN001
            args: argparse.Namespace) -> dict[str, float]:
    """One wrk run with the writer alongside; the figures plus writes sent, failed and found."""
    writer = Writer(connect, token, args.writes, f"{name}-{uuid.uuid4().hex[:6]}")
    if args.writes > 0:  # --writes 0: the read mix alone
        writer.start()
    try:
        result = run_wrk(url, script, args)
    finally:
        writer.stopping.set()
        if writer.is_alive():
            writer.join(timeout=60)
    return {**result, "sent": writer.sent, "write errors": writer.failed,
            "found": count_found(node_port, writer.ids)}


def report(direct: dict[str, float], proxied: dict[str, float]) -> None:
    """Print both runs side by side, and the aims."""
    print(f"\n{'':<22} {'gunicorn direct':>16} {'through nginx':>16}")
    for key, form in (("rps", "{:,.0f}"), ("p50", "{:.1f} ms"), ("p99", "{:.1f} ms"), ("errors", "{:.0f}"),
                      ("sent", "{:.0f}"), ("write errors", "{:.0f}"), ("found", "{:.0f}")):
        label = {"rps": "requests/s", "sent": "writes sent", "found": "writes found"}.get(key, key)
        print(f"{label:<22} {form.format(direct[key]):>16} {form.format(proxied[key]):>16}")
    ratio = proxied["rps"] / direct["rps"]
    lost = sum(run["sent"] - run["found"] for run in (direct, proxied))
    errors = sum(run["errors"] + run["write errors"] for run in (direct, proxied))
    print(f"\nnginx / direct: {ratio:.1f}x (aim >= 10x {'ok' if ratio >= 10 else 'MISSED'}); "
          f"errors {errors:.0f} (aim 0); lost writes {lost:.0f} (aim 0)")


def machine() -> str:
    """CPU, cores, load, and the versions that matter."""
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"machine: {model}, {len(os.sched_getaffinity(0))} cores, Linux {platform.release()}, "
            f"Python {platform.python_version()}, {nginx}; load average before: {load}")


def run(args: argparse.Namespace, directory: Path) -> None:
    """Start the node, load the demo data, run the mix direct and through nginx, print the table."""
    port = free_port()
    extra = {"FEEDSVC_LIMIT_WRITES": "100000/minute"}  # one address writes 10/s; the proxy's limit stays
    prefix = f"load-{uuid.uuid4().hex[:8]}:"
    env = node_env(args.database_url, prefix, port, args.workers, extra)
    if not args.workers:
        env.pop("WEB_CONCURRENCY")  # gunicorn.conf.py picks workers from the cores, as deployed
    cli(env, "db", "upgrade")
    cli(env, "demo")
    token = cli(env, "token", "create", f"load-{uuid.uuid4().hex[:8]}").strip()
    cluster = Cluster(directory)
    try:
        cluster.start_node("A", env, port)
        cluster.start_nginx()
        direct = f"http://127.0.0.1:{port}"
        tls = tls_context(cluster.cert)
        targets = {"direct": (direct, lambda: http.client.HTTPConnection("127.0.0.1", port, timeout=30)),
                   "nginx": (f"https://127.0.0.1:{cluster.https_port}",
                             lambda: LoopbackHTTPS(HOST, cluster.https_port, tls, timeout=30))}
        results = []
        for name, (url, connect) in targets.items():
            # ETags name the base URL (http direct, https through nginx): each target gets its own.
            etags = {path: fetch(connect(), "GET", path, {"Host": HOST}).headers["ETag"]
                     for path in FEEDS_304}
            script = mix_script(directory / name, etags)
            results.append(measure(name, url, connect, script, token, port, args))
    finally:
        cluster.stop()
        drop_keys(prefix)
    report(*results)


def main() -> None:
    """Parse arguments, print the machine and the rerun command, run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per run (the issue's figure: 60)")
    parser.add_argument("--clients", type=int, default=200, help="concurrent wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--writes", type=float, default=10.0, help="writes per second during each run")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn workers (0: from gunicorn.conf.py)")
    parser.add_argument("--database-url", default=f"sqlite:///{ROOT / 'bench' / 'out' / 'load.sqlite3'}")
    args = parser.parse_args()
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    print(machine())
    print("rerun:", shlex.join([".venv/bin/python", "bench/load.py", *sys.argv[1:]]))
    print(f"mix: {args.clients} clients for {args.duration} s, wrk {args.threads} threads; writer "
          f"{args.writes:g}/s; read weights: feeds 200 25, feeds 304 24, pages 20, rates 20, API 4")
    with tempfile.TemporaryDirectory(prefix="feedsvc-load-") as directory:
        run(args, Path(directory))


if __name__ == "__main__":
    main()
