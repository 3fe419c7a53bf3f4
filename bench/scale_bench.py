"""The app over a million cases, on PostgreSQL and on SQLite, each figure against its target:
- wrk at 32 and 128 connections against bare Flask in the same run, asking for br or gzip as
  phones do: the tracking page
  (/t/<number>?k=..., target >= 50 % of bare Flask's req/s and p99 < 25 ms at 32 connections),
  one case and 20,000 different ones; 办件公示 first page, a filtered page far back and 20,000
  different filtered pages; the staff queue (/office/) of 城关镇's window, signed in; then the
  tracking page's verdict from 3 runs, each alternated with bare Flask's (paired);
- submissions per second through the HTTP app: signed-in villagers filling in, checking and
  submitting (some retried, some sent twice at once);
- a mixed load, 70 % public pages, 20 % lookups, 10 % submissions; then no 5xx, and exactly one
  case in the database per idempotency key.

Cases are bulk-loaded (bench/_bulk.py: COPY on PostgreSQL, then VACUUM ANALYZE). PostgreSQL is a
throwaway cluster with fsync off (bench/_postgres.py): commits cost less than on a durable server.

    bench/scale [wrk duration, default 10s] [mixed-load seconds, default 60]
    CASES (default 1000000), SQLITE_CASES (default 1000000), WORKERS (default 2 per CPU),
    CLIENTS (threads of the HTTP driver, each a signed-in villager; default 16)"""
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import requests
from sqlalchemy import bindparam, create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))
from _bulk import DAYS, ITEMS
from _postgres import postgres
from _server import ROOT, VENV, gunicorn
from _visitors import Browser, Citizen, Unexpected

from commands import DEMO_TOTP

CASES = int(os.environ.get("CASES", "1000000"))
SQLITE_CASES = int(os.environ.get("SQLITE_CASES", "1000000"))
WORKERS = int(os.environ.get("WORKERS") or 2 * (os.cpu_count() or 1))
CLIENTS = int(os.environ.get("CLIENTS", "16"))
CONNECTIONS = (32, 128)
PAIRS = 3  # the target's runs, each alternated with bare Flask's (paired)
LUA = Path(__file__).resolve().parent / "scale_paths.lua"
DEPARTMENT = "镇原县民政局"
STAFF = ("chengguan", "Window-demo-2026", DEMO_TOTP)  # 李娜, 城关镇's window (data/demo_staff.toml)
MIX = {"public": 70, "lookup": 20, "submission": 10}


# Every phone's browser asks for a compressed answer; a page compressed per view costs more than
# the rest of a cached view, so wrk asks as they do (bare Flask's 13 bytes are not compressed).
AS_A_PHONE = ("Accept-Encoding: gzip, deflate, br",)


def wrk(url: str, connections: int, duration: str, headers: tuple = (), paths: Path | None = None) -> dict:
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}", "--latency", "--timeout", "10s"]
    for header in AS_A_PHONE + headers:
        cmd += ["-H", header]
    cmd += (["-s", str(LUA), url, "--", str(paths)] if paths else [url])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    try:
        socket = re.search(r"connect (\d+), read \d+, write \d+, timeout (\d+)", out)
        bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
                "p50": _ms(re.search(r" 50%\s+(\S+)", out).group(1)), "p99": _ms(re.search(r" 99%\s+(\S+)", out).group(1)),
                "errors": (int(bad.group(1)) if bad else 0) + (int(socket.group(1)) + int(socket.group(2)) if socket else 0)}
    except (AttributeError, KeyError) as exc:
        raise RuntimeError(f"wrk's output not understood:\n{out}") from exc


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60_000}[unit]


def _cell(label: str, width: int) -> str:
    """Left-aligned in a fixed-width font, where a Chinese character takes two columns."""
    return label + " " * (width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label))


def settle(base: str) -> None:
    """Wait until every worker is free again: gunicorn still answers the requests wrk left queued
    when it stopped, and the next measurement must not pay for them."""
    def answer_time(_) -> float:
        start = time.perf_counter()
        requests.get(base + "/healthz", timeout=600)
        return time.perf_counter() - start

    with ThreadPoolExecutor(WORKERS) as pool:
        while max(pool.map(answer_time, range(WORKERS))) > 0.1:
            time.sleep(0.5)
    time.sleep(1)  # a worker still busy with its last request while the others answered


def prepare(url: str, cases: int, tmp: Path) -> dict:
    """Migrated and seeded as `make run` does (without the demo cases), then the bulk load."""
    env = {**os.environ, "DATABASE_URL": url, "UPLOAD_DIR": str(tmp / "uploads")}
    for cmd in (["db", "upgrade"], ["seed", "--without-cases"]):
        subprocess.run([str(VENV / "flask"), "--app", "wsgi", *cmd], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run([str(VENV / "python"), str(Path(__file__).with_name("_bulk.py")), str(cases), str(tmp / "known.tsv")],
                   cwd=ROOT, env=env, check=True)
    return env


def samples(engine, cases: int, tmp: Path) -> dict:
    """What the visitors ask for: cases to track (the loader's 20,000), 办件公示 pages, townships."""
    rng = random.Random(7)
    tracked = [tuple(line.split("\t")) for line in (tmp / "known.tsv").read_text().splitlines()]
    with engine.connect() as conn:
        one = conn.execute(text("SELECT number, track_token FROM cases WHERE status = 'delivered' "
                                "ORDER BY id DESC LIMIT 1")).one()
        last = conn.execute(text("SELECT max(id) FROM cases")).scalar()
        first = last - cases * 85 // DAYS  # within 办件公示's 90 days
        townships = [r[0] for r in conn.execute(text("SELECT id FROM townships ORDER BY id"))]
    listed = [code for code in ITEMS if code not in ("621027-BM-004", "621027-BM-007")]  # these two are confidential
    filters = [{}, {"department": DEPARTMENT}, {"item": listed[0]}] + [{"township": t} for t in townships[:4]]
    pages = [f"/public-cases?{urlencode({**rng.choice(filters), 'before': rng.randint(first, last)})}"
             for _ in range(20_000)]
    files = {"tracked": tmp / "tracked.txt", "pages": tmp / "pages.txt"}
    files["tracked"].write_text("".join(f"/t/{n}?k={k}\n" for n, k, _ in tracked))
    files["pages"].write_text("".join(p + "\n" for p in pages))
    public = (["/", "/", "/public-cases", "/public-cases", f"/public-cases?department={DEPARTMENT}"]
              + [f"/items/{code}" for code in ITEMS] + pages[:20])
    return {"tracked": tracked, "one": f"/t/{one.number}?k={one.track_token}", "townships": townships,
            "filtered": f"/public-cases?{urlencode({'department': DEPARTMENT, 'before': (first + last) // 2})}",
            "public": public, "files": files}


def signed_in(base: str, cookie: str) -> bool:
    """The queue answers this cookie with itself, not with a redirect to sign in."""
    name, value = cookie.split(": ", 1)
    return requests.get(base + "/office/", headers={name: value}, allow_redirects=False).status_code == 200


def citizens(base: str, count: int) -> list[tuple[Citizen, Browser]]:
    """Villagers signed in through the pages (each with a second, anonymous browser for public pages)."""
    from stdnum.cn import ric

    people = []
    for i in range(count):
        body = f"621026{date(1990, 1, 1) + timedelta(days=i):%Y%m%d}{i:03d}"
        citizen = Citizen(base).sign_in(f"1370000{i:04d}", "张" + "桂兰建国秀英志强玉梅"[i % 5 * 2:i % 5 * 2 + 2],
                                        body + ric.calc_check_digit(body + "0"))
        people.append((citizen, Browser(base)))
    return people


def drive(people, data: dict, seconds: float, mix: dict) -> dict:
    """Each client thread: a villager (and their anonymous browser) doing what `mix` weighs, back to
    back, until time is up. Every 5th submission is sent again afterwards, every 10th twice at once."""
    stop, lock = time.monotonic() + seconds, threading.Lock()
    times, failed, keys = {kind: [] for kind in mix}, Counter(), {}
    for citizen, visitor in people:  # count this load's answers only
        citizen.statuses.clear()
        visitor.statuses.clear()

    def run(citizen: Citizen, visitor: Browser, seed: int) -> None:
        rng, sent = random.Random(seed), 0
        while time.monotonic() < stop:
            kind = rng.choices(list(mix), list(mix.values()))[0]
            start = time.perf_counter()
            try:
                if kind == "public":
                    visitor.get(rng.choice(data["public"]))
                elif kind == "lookup":
                    number, token, last4 = rng.choice(data["tracked"])
                    visitor.get(f"/t/{number}?k={token}") if rng.random() < 0.5 else visitor.look_up(number, last4)
                else:
                    key, sent = citizen.fill_in(rng.choice(data["townships"])), sent + 1
                    with lock:
                        answered = keys.setdefault(key, set())  # sent: the database must hold its case
                    numbers = citizen.double_tap(key) if sent % 10 == 0 else [citizen.send(key)]
                    if sent % 5 == 0:
                        numbers.append(citizen.send(key))
                    with lock:
                        answered.update(numbers)
            except Unexpected as exc:
                with lock:
                    failed[(kind, exc.status, str(exc))] += 1
                continue
            with lock:
                times[kind].append(time.perf_counter() - start)

    threads = [threading.Thread(target=run, args=(c, v, n)) for n, (c, v) in enumerate(people)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    statuses = sum((c.statuses + v.statuses for c, v in people), Counter())
    return {"times": times, "failed": failed, "keys": keys, "elapsed": time.perf_counter() - started,
            "statuses": statuses}


def check_keys(engine, keys: dict) -> tuple[bool, str]:
    """Exactly one case per key sent, the one every answer named, with one submit event."""
    if not keys:
        return False, "no submission was sent"
    with engine.connect() as conn:
        found = dict(conn.execute(text("SELECT idempotency_key, number FROM cases WHERE idempotency_key IN :keys")
                                  .bindparams(bindparam("keys", expanding=True)), {"keys": list(keys)}).all())
        events = conn.execute(text("SELECT count(*) FROM case_events e JOIN cases c ON c.id = e.case_id "
                                   "WHERE e.action = 'submit' AND c.idempotency_key IN :keys")
                              .bindparams(bindparam("keys", expanding=True)), {"keys": list(keys)}).scalar()
    lost = [k for k in keys if k not in found]
    disagree = [k for k, numbers in keys.items() if numbers - {found.get(k)}]
    ok = not lost and not disagree and events == len(keys)
    return ok, (f"{len(keys)} keys -> {len(found)} cases, {events} submit events; {len(lost)} lost, "
                f"{len(disagree)} answered with another case -> {'none lost or doubled' if ok else 'LOST OR DOUBLED'}")


def report_load(title: str, result: dict, check: str) -> None:
    elapsed, statuses = result["elapsed"], result["statuses"]
    print(f"{title}: {sum(statuses.values())} HTTP requests in {elapsed:.0f} s = {sum(statuses.values()) / elapsed:.0f}/s")
    print(f"  {'what':14} {'done':>7} {'per s':>7} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7}")
    for kind, times in result["times"].items():
        times = sorted(times)
        failed = sum(n for (k, _, _), n in result["failed"].items() if k == kind)
        if times:
            print(f"  {_cell(kind, 14)} {len(times):7} {len(times) / elapsed:7.1f} {times[len(times) // 2] * 1000:8.1f} "
                  f"{times[int(len(times) * 0.99)] * 1000:8.1f} {failed:7}")
    server_errors = sum(n for s, n in statuses.items() if isinstance(s, int) and s >= 500)
    print(f"  answers: {dict(sorted(statuses.items(), key=str))}; 5xx: {server_errors}")
    for (kind, _, what), n in sorted(result["failed"].items()):
        print(f"  failed {n} x ({kind}): {what}")
    print(f"  {check}")


def run_on(name: str, url: str, cases: int, duration: str, mixed_seconds: float, tmp: Path) -> dict:
    started = time.perf_counter()
    env = prepare(url, cases, tmp)
    print(f"{name}: loaded in {time.perf_counter() - started:.0f} s (migrate, seed, bulk load)", flush=True)
    engine = create_engine(url)
    data = samples(engine, cases, tmp)
    outcome = {}
    with gunicorn("wsgi:app", WORKERS, env, ready_path="/healthz") as base, \
            gunicorn("bench.hello:app", WORKERS) as hello:
        staff = Browser(base)
        staff.staff_sign_in(*STAFF)
        cookie = staff.cookie_header()
        assert signed_in(base, cookie)
        people = citizens(base, CLIENTS)
        pages = [("tracking page, one case", base + data["one"], (), None),
                 ("tracking, 20,000 cases", base, (), data["files"]["tracked"]),
                 ("办件公示, first page", base + "/public-cases", (), None),
                 ("办件公示, 民政局, far back", base + data["filtered"], (), None),
                 ("办件公示, 20,000 pages", base, (), data["files"]["pages"]),
                 ("staff queue (城关镇)", base + "/office/", (cookie,), None)]
        print(f"\n{name}, {cases:,} cases; gunicorn -w {WORKERS} (sync), os.cpu_count() = {os.cpu_count()}, "
              f"load average before: {os.getloadavg()[0]:.1f}; wrk -t2 -d{duration}")
        print(f"{'what':28} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'of bare Flask':>14} {'errors':>7}")
        for connections in CONNECTIONS:
            bare = wrk(hello + "/", connections, duration)
            print(f"{'bare Flask hello world':28} {connections:5} {bare['rps']:8.0f} {bare['p50']:8.1f} "
                  f"{bare['p99']:8.1f} {'100%':>14} {bare['errors']:7}", flush=True)
            for label, target, headers, paths in pages:
                figures = wrk(target, connections, duration, headers, paths)
                settle(base)
                figures["share"] = figures["rps"] / bare["rps"]
                outcome[(label, connections)] = figures
                print(f"{_cell(label, 28)} {connections:5} {figures['rps']:8.0f} {figures['p50']:8.1f} {figures['p99']:8.1f} "
                      f"{figures['share']:14.0%} {figures['errors']:7}", flush=True)
        print(f"load average after: {os.getloadavg()[0]:.1f}")
        for label, target, headers, paths in pages[:2]:
            outcome[(label, "paired")] = paired(hello + "/", target, headers, paths, base, duration)
            figures = outcome[(label, "paired")]
            print(f"{label}, alternated with bare Flask {PAIRS} times at 32 connections: {figures['share']:.0%} of bare "
                  f"Flask (each pair: {', '.join(f'{s:.0%}' for s in figures['shares'])}), "
                  f"p99 {figures['p99']:.1f} ms (each: {', '.join(f'{p:.1f}' for p in figures['p99s'])})", flush=True)
        if not signed_in(base, cookie):
            print("!! the staff member was signed out during the run: the queue's figures are a redirect's")
        print()
        submissions = drive(people, data, max(mixed_seconds / 3, 5), {"submission": 1})
        outcome["submissions ok"], check = check_keys(engine, submissions["keys"])
        outcome["submissions/s"] = len(submissions["keys"]) / submissions["elapsed"]
        report_load(f"{name}: submissions only, {CLIENTS} villagers at once, each submission = form page, "
                    f"answers, check page, submit ({outcome['submissions/s']:.1f} distinct keys per s)", submissions, check)
        mixed = drive(people, data, mixed_seconds, MIX)
        outcome["mixed ok"], check = check_keys(engine, mixed["keys"])
        outcome["mixed 5xx"] = sum(n for s, n in mixed["statuses"].items() if s == "no answer" or s >= 500)
        report_load(f"{name}: mixed load {mixed_seconds:.0f} s, {CLIENTS} client threads, "
                    f"{'/'.join(map(str, MIX.values()))} % public/lookup/submission", mixed, check)
    engine.dispose()
    return outcome


def paired(bare_url: str, target: str, headers: tuple, paths: Path | None, base: str, duration: str) -> dict:
    """The target's share of bare Flask and its p99, each the median of PAIRS runs alternated with
    bare Flask's: on a shared machine throughput drifts by ±10 % from one minute to the next, and
    one run of each can land the verdict either side of a line."""
    shares, p99s, errors = [], [], 0
    for _ in range(PAIRS):
        bare = wrk(bare_url, 32, duration)
        time.sleep(1)
        figures = wrk(target, 32, duration, headers, paths)
        settle(base)
        shares.append(figures["rps"] / bare["rps"])
        p99s.append(figures["p99"])
        errors += figures["errors"] + bare["errors"]
    return {"share": statistics.median(shares), "p99": statistics.median(p99s), "shares": shares, "p99s": p99s,
            "errors": errors}


def verdicts(name: str, outcome: dict) -> None:
    for label in ("tracking page, one case", "tracking, 20,000 cases"):
        figures = outcome[(label, "paired")]
        met = figures["share"] >= 0.5 and figures["p99"] < 25 and not figures["errors"]
        print(f"{name}: {label} at 32 connections, median of {PAIRS} pairs: {figures['share']:.0%} of bare Flask, "
              f"p99 {figures['p99']:.1f} ms; "
              f"target >= 50 % and p99 < 25 ms -> {'met' if met else 'NOT met'}")
    print(f"{name}: submissions {outcome['submissions/s']:.1f}/s, none lost or doubled -> "
          f"{'yes' if outcome['submissions ok'] else 'NO'}")
    print(f"{name}: mixed load: 5xx or unanswered {outcome['mixed 5xx']}, one case per key -> "
          f"{'met' if outcome['mixed ok'] and not outcome['mixed 5xx'] else 'NOT met'}")


def main() -> None:
    duration = sys.argv[1] if len(sys.argv) > 1 else "10s"
    mixed_seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that the clusters and servers are cleaned up
    outcomes = {}
    with postgres() as url, tempfile.TemporaryDirectory(prefix="yiwang-scale.") as tmp:
        outcomes["PostgreSQL"] = run_on("PostgreSQL", url, CASES, duration, mixed_seconds, Path(tmp))
    with tempfile.TemporaryDirectory(prefix="yiwang-scale.") as tmp:
        outcomes["SQLite"] = run_on("SQLite", f"sqlite:///{tmp}/scale.sqlite3", SQLITE_CASES, duration,
                                    mixed_seconds, Path(tmp))
    print()
    for name, outcome in outcomes.items():
        verdicts(name, outcome)


if __name__ == "__main__":
    main()
