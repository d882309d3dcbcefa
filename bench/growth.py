"""Per-request cost as the archive grows: every public GET kind at N = 1,000, 10,000 and 100,000 articles.

Usage: .venv/bin/python bench/growth.py [--sizes 1000,10000,100000] [--databases sqlite,postgresql]
           [--requests 30] [--wrk-duration 5] [--wrk-at largest|all|none] [--cpu]
           [--postgres-url postgresql://postgres@127.0.0.1:5432/] [--database-prefix feedsvc_growth]
Needs wrk (Debian: apt-get install wrk) and a PostgreSQL server where the URL's user may create databases
(<prefix>_<N>: a prefix of its own keeps a run apart from another checkout's on a shared server).
Archives are filled once through `feedsvc articles import` (bench/growth_data.py) and kept: SQLite files
under bench/out/, PostgreSQL databases by name, vacuumed and analysed before each run as autovacuum would.

For each database and N, the median ms of --requests sequential requests of each kind:
- miss: in process (Flask's test client), the byte cache emptied before every request: what a request
  costs when nothing is cached, the cost that must not grow with the archive; every N's archive open at
  once, the sizes taking turns request by request, so that a drifting load falls on all alike;
- warm: through gunicorn (1 sync worker, as deployed per core), repeated requests of one URL, caches kept;
and the ratio largest N / smallest N. Then wrk (2 threads, 16 connections, gunicorn 2 workers) gives each
kind's requests/s as a share of the no-op route (bench/wsgi_bench.py) at the largest N.
With --cpu, each database is also measured in process by CPU time (this process's, plus on PostgreSQL
its server's for the bench database, read from /proc: the server must run on this machine), miss and
warm, the no-op route's CPU time as the floor: steady where the wall times of a shared machine are not.
Aims: every GET <= 1.5x from smallest to largest N (or under 3 ms), search <= 20 ms at 100,000 on both
databases, >= 0.5x the floor when warm (the last needs the byte caching of every page; see the note).
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from growth_data import PREFIX, fill  # noqa: E402
from sqlalchemy import create_engine, select, text  # noqa: E402

from config import Config  # noqa: E402
from feedsvc import create_app  # noqa: E402
from feedsvc.articles.listing import Cursor  # noqa: E402
from feedsvc.core.cache import MemoryCache  # noqa: E402
from feedsvc.core.db import new_session  # noqa: E402
from feedsvc.core.models import Article  # noqa: E402
from feedsvc.core.urls import slugify  # noqa: E402

HOST = "bench.example.org"  # every request's: the oEmbed URL names it as this site's
KINDS = [("home", "/"), ("search", "/search?q=metro"), ("api search", "/api/articles?q=metro"),
         ("search common", "/search?q=substation"),
         ("embed", "/embed/kazakhstan"), ("api country", "/api/articles?country=kazakhstan"),
         ("api tag page 40", "/api/articles?tag=energy&page=40"), ("tag page", "/tags/energy"),
         ("feed", "/feeds/kazakhstan.atom"), ("country page", "/kazakhstan"),
         ("country page 100", "/kazakhstan?page=100"), ("api page 500", "/api/articles?page=500"),
         ("api cursor", "/api/articles?after={cursor}"), ("article page", "{article}"),
         ("api item", "/api/articles/{id}"), ("embed card", "/embed/articles/{id}"),
         ("oembed", "/oembed?url=http://" + HOST + "{article}"), ("embed rates", "/embed/rates"),
         ("rates page", "/rates"), ("rates sources", "/rates/sources.json"), ("rates.csv", "/rates.csv"),
         ("sitemap", "/sitemap.xml"), ("sitemap file", "/sitemap-1.xml"),
         ("news sitemap", "/sitemap-news.xml")]
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def environment(url: str) -> dict[str, str]:
    """The bench app's settings: the archive, no scheduler, the in-process byte cache, no rate limit."""
    return {"FEEDSVC_DATABASE_URL": url, "FEEDSVC_SCHEDULER": "off",
            "FEEDSVC_LIMIT_RATES": "100000000/minute"}


def resolve_paths(app) -> dict[str, str]:  # noqa: ANN001 - a Flask app
    """Each kind's path, with the article page and the cursor of the archive's middle article."""
    with app.app_context(), new_session() as session:
        total = session.scalar(select(Article.id).order_by(Article.id.desc()).limit(1)) or 1
        middle = session.get(Article, total // 2) or session.scalars(select(Article).limit(1)).one()
        article = f"/articles/{middle.id}/{slugify(middle.title)}"
        cursor = Cursor(middle.published_at, middle.id).encode()
    return {name: path.format(article=article, cursor=cursor, id=middle.id) for name, path in KINDS}


def median_ms(send, path: str, requests: int) -> tuple[float, int]:  # noqa: ANN001 - a sender
    """Median ms of ``requests`` sequential sends of ``path`` (after one unmeasured), and the status."""
    status = send(path)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        status = send(path)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), status


def measure_misses(urls: dict[int, str], paths: dict[int, dict[str, str]],
                   requests: int) -> dict[int, dict[str, tuple[float, int]]]:
    """In process, the byte cache and the schedule answers emptied before every request.

    Every N's archive is open at once and the sizes take turns request by request: a load that drifts
    during the run (a shared machine) then falls on every N alike, and their ratio stays meaningful.
    """
    apps = {count: create_app(Config(environment(url))) for count, url in urls.items()}
    clients = {count: app.test_client() for count, app in apps.items()}

    def send(count: int, path: str) -> int:
        apps[count].extensions["feedsvc.core.cache"] = MemoryCache()
        apps[count].extensions.pop("feedsvc.schedules", None)
        response = clients[count].get(path, headers={"Host": HOST})
        body = response.get_data()
        # The API's page past the end is an empty 200: mark it like the pages' 404 (compact JSON or not).
        empty = b'"items": []' in body or b'"items":[]' in body
        return 204 if response.status_code == 200 and empty else response.status_code

    found: dict[int, dict[str, tuple[float, int]]] = {count: {} for count in apps}
    try:
        for name, _ in KINDS:
            status = {count: send(count, paths[count][name]) for count in apps}  # one unmeasured each
            times: dict[int, list[float]] = {count: [] for count in apps}
            for _ in range(requests):
                for count in apps:
                    started = time.perf_counter()
                    status[count] = send(count, paths[count][name])
                    times[count].append((time.perf_counter() - started) * 1000)
            for count in apps:
                found[count][name] = (statistics.median(times[count]), status[count])
        return found
    finally:
        for app in apps.values():
            app.extensions["feedsvc.engine"].dispose()


def server_cpu(url: str) -> Callable[[], float]:
    """A reader of the CPU ms the PostgreSQL server processes of ``url``'s database have used so far.

    The server runs on this machine: its backends' times are read from /proc (clock ticks, so only a
    sum over many requests means anything). SQLite has no server: 0.
    """
    if not url.startswith("postgresql"):
        return lambda: 0.0
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    ask = text("SELECT pid FROM pg_stat_activity"
               " WHERE datname = current_database() AND pid <> pg_backend_pid()")

    def read() -> float:
        with engine.connect() as connection:
            pids = list(connection.scalars(ask))
        total = 0.0
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone meanwhile
                continue
            total += (int(fields[11]) + int(fields[12])) * tick_ms  # utime, stime
        return total

    return read


def measure_cpu(urls: dict[int, str], paths: dict[int, dict[str, str]],
                requests: int) -> dict[int, dict[str, tuple[float, float]]]:
    """In process, by CPU time: each kind's miss and warm ms at each N, and the no-op route's.

    CPU time hardly moves with the machine's load, where wall time on a shared machine does. It is this
    process's (all of SQLite's work) plus, on PostgreSQL, the server's for the bench database: the mean
    over ``requests`` then, since the server's is counted in clock ticks. The sizes take turns request by
    request, as in ``measure_misses``.
    """
    apps = {count: create_app(Config(environment(url))) for count, url in urls.items()}
    for app in apps.values():
        app.add_url_rule("/_bench/floor", "bench_floor", lambda: "ok")
    clients = {count: app.test_client() for count, app in apps.items()}
    servers = {count: server_cpu(url) for count, url in urls.items()}
    postgres = next(iter(urls.values())).startswith("postgresql")

    def cpu_ms(count: int, path: str, cold: bool) -> float:
        if cold:
            apps[count].extensions["feedsvc.core.cache"] = MemoryCache()
            apps[count].extensions.pop("feedsvc.schedules", None)
        started = time.process_time()
        clients[count].get(path, headers={"Host": HOST}).get_data()
        return (time.process_time() - started) * 1000

    def each_size(path_at: dict[int, str], cold: bool) -> dict[int, float]:
        served = {}
        for count in apps:
            cpu_ms(count, path_at[count], cold)  # unmeasured
            served[count] = servers[count]()
        times: dict[int, list[float]] = {count: [] for count in apps}
        for _ in range(requests):
            for count in apps:
                times[count].append(cpu_ms(count, path_at[count], cold))
        if not postgres:
            return {count: statistics.median(times[count]) for count in apps}
        return {count: statistics.fmean(times[count]) + (servers[count]() - served[count]) / requests
                for count in apps}

    try:
        floor = each_size(dict.fromkeys(apps, "/_bench/floor"), False)
        found = {count: {"floor": (floor[count], floor[count])} for count in apps}
        for name, _ in KINDS:
            path_at = {count: paths[count][name] for count in apps}
            cold, warm = each_size(path_at, True), each_size(path_at, False)
            for count in apps:
                found[count][name] = (cold[count], warm[count])
        return found
    finally:
        for app in apps.values():
            app.extensions["feedsvc.engine"].dispose()


def report_cpu(kind: str, sizes: list[int], cpu: dict, misses: dict) -> None:
    """The CPU table: miss and warm ms per N, their growth, and the warm share of the no-op floor."""
    head = " ".join(f"{n:>8,}" for n in sizes)
    print(f"\n{kind} in process, CPU ms per request (miss | warm; SQLite: median, PostgreSQL: mean with the"
          " server's); floor share = no-op CPU / warm CPU")
    print(f"{'kind':<17} miss {head}  ratio | warm {head}  ratio | floor share  aim")
    for name, _ in KINDS:
        exists = [n for n in sizes if misses[n][name][1] == 200] or sizes
        cells, verdicts = [], []
        for column in (0, 1):
            ms = " ".join(f"{cpu[n][name][column]:>7.2f}{'' if n in exists else '*'}" for n in sizes)
            ratio = cpu[exists[-1]][name][column] / cpu[exists[0]][name][column]
            cells.append(f"{ms}  {ratio:>5.2f}")
            verdicts.append(ratio <= 1.5 or cpu[exists[-1]][name][column] < 3)
        share = cpu[sizes[-1]]["floor"][1] / cpu[sizes[-1]][name][1]
        verdicts.append(share >= 0.5)
        if name.endswith("search"):
            verdicts.append(cpu[sizes[-1]][name][0] <= 20)
        verdict = "ok" if all(verdicts) else "MISSED"
        print(f"{name:<17}      {cells[0]} |      {cells[1]} | {share:>11.2f}  {verdict}")
    print(f"no-op floor: {cpu[sizes[-1]]['floor'][1]:.3f} ms CPU per request")


def start_gunicorn(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    """gunicorn with the bench module (the app plus a no-op route); returns once it answers."""
    env = {**os.environ, **environment(url)}
    env.pop("FEEDSVC_CACHE_URL", None)
    server = subprocess.Popen([GUNICORN, "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                               "--pythonpath", f"{ROOT},{ROOT / 'bench'}", "--log-level", "warning",
                               "wsgi_bench:app"], env=env, cwd=ROOT)
    for _ in range(150):
        try:
            get(port, "/_bench/floor")
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def get(port: int, path: str) -> int:
    """One GET over a new connection (a sync worker closes each); the status."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        connection.request("GET", path, headers={"Host": HOST})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop a gunicorn started here."""
    server.terminate()
    server.wait(timeout=60)


def measure_warm(url: str, paths: dict[str, str], requests: int, port: int) -> dict[str, tuple[float, int]]:
    """Through gunicorn with one worker: repeated requests of each URL, caches kept."""
    server = start_gunicorn(url, port, 1)
    try:
        return {name: median_ms(lambda p: get(port, p), path, requests) for name, path in paths.items()}
    finally:
        stop(server)


def wrk_rps(port: int, path: str, seconds: int) -> float:
    """Requests/s of wrk (2 threads, 16 connections) on one path; non-2xx answers are reported."""
    output = subprocess.run(["wrk", "-t2", "-c16", f"-d{seconds}s", "-H", f"Host: {HOST}",
                             f"http://127.0.0.1:{port}{path}"],
                            capture_output=True, text=True, check=True).stdout
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def measure_wrk(url: str, paths: dict[str, str], seconds: int, port: int) -> dict[str, float]:
    """Each kind's requests/s as a share of the no-op route's, gunicorn with 2 workers."""
    server = start_gunicorn(url, port, 2)
    try:
        floor = wrk_rps(port, "/_bench/floor", seconds)
        shares = {name: wrk_rps(port, path, seconds) / floor for name, path in paths.items()}
        return {"floor rps": floor, **shares}
    finally:
        stop(server)


def report(kind: str, sizes: list[int], misses: dict, warm: dict, wrk: dict[str, float] | None) -> None:
    """One table per database: ms per N (miss and warm), their growth, and the wrk share."""
    head = " ".join(f"{n:>9,}" for n in sizes)
    print(f"\n{kind}: median ms per request (miss | warm), ratio = largest N / smallest N")
    print(f"{'kind':<17} miss {head}  ratio | warm {head}  ratio | wrk x floor  aim")
    for name, _ in KINDS:
        cells = []
        verdicts = []
        for table in (misses, warm):
            exists = {n: misses[n][name][1] == 200 for n in sizes}
            ms = " ".join(f"{table[n][name][0]:>8.2f}{'' if exists[n] else '*'}" for n in sizes)
            # From the smallest N where the page exists: a page past the end is no comparison.
            shown = [table[n][name][0] for n in sizes if exists[n]] or [table[n][name][0] for n in sizes]
            ratio = shown[-1] / shown[0]
            cells.append(f"{ms}  {ratio:>5.2f}")
            verdicts.append(ratio <= 1.5 or shown[-1] < 3)
        if name.endswith("search"):
            verdicts.append(misses[sizes[-1]][name][0] <= 20)
        if wrk:
            verdicts.append(wrk[name] >= 0.5)
        share = f"{wrk[name]:>11.2f}" if wrk else f"{'':>11}"
        verdict = "ok" if all(verdicts) else "MISSED"
        print(f"{name:<17}      {cells[0]} |      {cells[1]} | {share}  {verdict}")
    if wrk:
        print(f"no-op floor: {wrk['floor rps']:,.0f} requests/s")
    print("* = past the end at that N (a 404, or the API's empty page): the ratio starts at the next N")


def machine() -> str:
    """CPU model, cores, OS, Python and the load average now."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{cpu}, {len(os.sched_getaffinity(0))} cores, Linux {platform.release()}, "
            f"Python {platform.python_version()}; load average {load}")


def main() -> None:
    """Fill, measure and report each database at each size."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--wrk-duration", type=int, default=5)
    parser.add_argument("--wrk-at", choices=("largest", "all", "none"), default="largest")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/")
    parser.add_argument("--database-prefix", default=PREFIX,
                        help="PostgreSQL databases are named PREFIX_N")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--cpu", action="store_true",
                        help="also measure in process by CPU time (steady on a shared machine)")
    args = parser.parse_args()
    sizes = sorted(int(n) for n in args.sizes.split(","))
    print(f"machine: {machine()}")
    print(f"rerun: .venv/bin/python bench/growth.py --sizes {args.sizes} --databases {args.databases} "
          f"--requests {args.requests}{' --cpu' if args.cpu else ''}"
          f"{'' if args.database_prefix == PREFIX else ' --database-prefix ' + args.database_prefix}")
    for kind in args.databases.split(","):
        urls, paths, warm, wrk = {}, {}, {}, None
        for count in sizes:
            urls[count], rate = fill(kind, count, args.postgres_url, args.database_prefix)
            if rate:
                print(f"{kind} N={count:,}: filled by `feedsvc articles import` at {rate:,.0f} articles/s")
            paths[count] = resolve_paths(create_app(Config(environment(urls[count]))))
        misses = measure_misses(urls, paths, args.requests)
        cpu = measure_cpu(urls, paths, args.requests) if args.cpu else {}
        print(f"{kind}: misses measured, every N in turn; load average {os.getloadavg()[0]:.2f}", flush=True)
        for count in sizes:
            warm[count] = measure_warm(urls[count], paths[count], args.requests, args.port)
            if args.wrk_at == "all" or (args.wrk_at == "largest" and count == sizes[-1]):
                wrk = measure_wrk(urls[count], paths[count], args.wrk_duration, args.port)
            print(f"{kind} N={count:,} measured; load average {os.getloadavg()[0]:.2f}", flush=True)
        report(kind, sizes, misses, warm, wrk)
        if cpu:
            report_cpu(kind, sizes, cpu, misses)
    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
