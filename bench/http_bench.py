"""wrk against the app and a bare Flask hello world in the same run; prints req/s, p99 and ratio.

Target: the guide page at >= 50 % of bare Flask's req/s.
"""
import re
import subprocess
import sys

from _server import app_server, gunicorn

DURATION = sys.argv[1] if len(sys.argv) > 1 else "10s"
CONNECTIONS = 32
GUIDE = "/items/621027-BM-004"


def wrk(url: str, headers: tuple = (), duration: str | None = None) -> tuple[float, str]:
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{duration or DURATION}", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+(\S+)", out).group(1)
    return rps, p99


def main() -> None:
    with gunicorn("bench.hello:app") as base:
        hello_rps, hello_p99 = wrk(base + "/")
    rows = [("bare Flask hello world", hello_rps, hello_p99)]
    with app_server() as base:
        for name, path, headers in [
            ("guide page (生育登记)", GUIDE, ()),
            ("guide page, gzip", GUIDE, ("Accept-Encoding: gzip",)),
            ("home page", "/", ()),
            ("/api/v1/services", "/api/v1/services", ()),
        ]:
            rps, p99 = wrk(base + path, headers)
            rows.append((name, rps, p99))
    print(f"wrk -t2 -c{CONNECTIONS} -d{DURATION}, gunicorn -w 2, one machine")
    print(f"{'what':28} {'req/s':>9} {'p99':>9} {'of bare Flask':>14}")
    for name, rps, p99 in rows:
        print(f"{name:28} {rps:9.0f} {p99:>9} {rps / hello_rps:13.0%}")
    guide_ratio = rows[1][1] / hello_rps
    print(f"target: guide page >= 50 % of bare Flask -> {'met' if guide_ratio >= 0.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
