"""Lighthouse (mobile, simulated slow 4G) on the home page, a guide, a search and two forms, and
(desktop form factor at 1080x1920, CPU 4x slower) on three kiosk screens, in Debian's Chromium.

Installs the npm package `lighthouse` into bench/.node on first use."""
import json
import os
import subprocess
import tempfile
from pathlib import Path

from _server import app_server

HERE = Path(__file__).resolve().parent
NODE = HERE / ".node"
LIGHTHOUSE = NODE / "node_modules" / ".bin" / "lighthouse"
FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
         "--disable-component-update --disable-sync --no-first-run")
PAGES = ["/", "/items/621027-BM-004", "/search?q=低保", "/signin", "/track"]
KIOSK_PAGES = ["/kiosk/", "/kiosk/identify", "/kiosk/items/621027-BM-004"]
KIOSK_SCREEN = ["--form-factor=desktop", "--screenEmulation.mobile=false", "--screenEmulation.width=1080",
                "--screenEmulation.height=1920", "--screenEmulation.deviceScaleFactor=1",
                "--throttling.cpuSlowdownMultiplier=4"]


def kiosk_cookie(base: str, token: str) -> str:
    """Bind a kiosk as its browser would (the setup page, then 确认登记): its device cookie."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/kiosk/setup/{token}").read().decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    opener.open(f"{base}/kiosk/setup/{token}", urllib.parse.urlencode({"csrf_token": csrf}).encode())
    return next(f"{c.name}={c.value}" for c in jar if c.name == "kiosk_device")


def main() -> None:
    if not LIGHTHOUSE.exists():
        NODE.mkdir(exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(NODE), "lighthouse@12"], check=True)
    from kiosk_bench import prepare

    with app_server(prepare=prepare) as (base, new_kiosk), tempfile.TemporaryDirectory() as tmp:
        cookie = kiosk_cookie(base, new_kiosk())
        for path in PAGES + KIOSK_PAGES:
            out = Path(tmp) / "report.json"
            kiosk = ([*KIOSK_SCREEN, f"--extra-headers={json.dumps({'Cookie': cookie})}"]
                     if path.startswith("/kiosk/") else [])
            subprocess.run([str(LIGHTHOUSE), base + path, "--quiet", f"--chrome-flags={FLAGS}", *kiosk,
                            "--only-categories=performance,accessibility,best-practices,seo",
                            "--output=json", f"--output-path={out}"],
                           check=True, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"})
            report = json.loads(out.read_text())
            scores = " ".join(f"{k}={round(v['score'] * 100)}" for k, v in report["categories"].items())
            audits = report["audits"]
            print(f"{path:24} {scores}  FCP {audits['first-contentful-paint']['displayValue']}"
                  f"  LCP {audits['largest-contentful-paint']['displayValue']}"
                  f"  TBT {audits['total-blocking-time']['displayValue']}")


if __name__ == "__main__":
    main()
