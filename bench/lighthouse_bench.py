"""Lighthouse (mobile, simulated slow 4G) on the home page, a guide, a search and two forms, on
four pages of the demo village agent (signed in, with 张桂兰's consent), and (desktop form factor
at 1080x1920, CPU 4x slower) on three kiosk screens, in Debian's Chromium.

Installs the npm package `lighthouse` into bench/.node on first use."""
import json
import os
import subprocess
import tempfile
import urllib.parse
from pathlib import Path

from _server import app_server

HERE = Path(__file__).resolve().parent
NODE = HERE / ".node"
LIGHTHOUSE = NODE / "node_modules" / ".bin" / "lighthouse"
FLAGS = ("--headless=new --no-sandbox --disable-gpu --disable-background-networking "
         "--disable-component-update --disable-sync --no-first-run")
PAGES = ["/", "/items/621027-BM-004", "/search?q=低保", "/signin", "/track", "/public-cases", "/powers",
         "/powers/MZ-JF-002"]
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


def agent_session(base: str) -> tuple[str, list[str]]:
    """Sign in as the demo agent and take 张桂兰's consent by her SMS code (the demo shows it):
    the session cookie and the agent pages to measure."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, data: dict, page: str | None = None):
        html = opener.open(base + (page or path)).read().decode()
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        return opener.open(base + path, urllib.parse.urlencode({"csrf_token": csrf, **data}).encode())

    post("/agent/login", {"username": "daiban", "password": "Agent-demo-2026"})
    consent = post("/agent/residents/new", {"name": "张桂兰", "id_number": "622827195803150023", "phone": "",
                                            "item": "", "months": "3"}).geturl()
    code = re.search(r'验证码 <span class="code big">(\d{6})</span>', opener.open(consent).read().decode()).group(1)
    resident = post(urllib.parse.urlsplit(consent).path + "/code", {"code": code},
                    page=urllib.parse.urlsplit(consent).path).geturl()
    prefix = urllib.parse.urlsplit(resident).path
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    return cookie, ["/agent/", "/agent/residents/new", prefix, prefix + "apply/621027-BM-005"]


def main() -> None:
    if not LIGHTHOUSE.exists():
        NODE.mkdir(exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(NODE), "lighthouse@12"], check=True)
    from kiosk_bench import prepare

    with app_server(prepare=prepare) as (base, new_kiosk), tempfile.TemporaryDirectory() as tmp:
        cookie = kiosk_cookie(base, new_kiosk())
        agent_cookie, agent_pages = agent_session(base)
        for path in PAGES + agent_pages + KIOSK_PAGES:
            out = Path(tmp) / "report.json"
            kiosk = ([*KIOSK_SCREEN, f"--extra-headers={json.dumps({'Cookie': cookie})}"]
                     if path.startswith("/kiosk/") else
                     [f"--extra-headers={json.dumps({'Cookie': agent_cookie})}"] if path.startswith("/agent/") else [])
            subprocess.run([str(LIGHTHOUSE), base + path, "--quiet", f"--chrome-flags={FLAGS}", *kiosk,
                            "--only-categories=performance,accessibility,best-practices,seo",
                            "--output=json", f"--output-path={out}"],
                           check=True, env={**os.environ, "CHROME_PATH": "/usr/bin/chromium"})
            report = json.loads(out.read_text())
            final = urllib.parse.unquote(report.get("finalDisplayedUrl", base + path))
            if final != base + path:  # a page measured must be that page, not a sign-in it sent us to
                raise SystemExit(f"{path}: measured {final} instead")
            scores = " ".join(f"{k}={round(v['score'] * 100)}" for k, v in report["categories"].items())
            audits = report["audits"]
            print(f"{path:24} {scores}  FCP {audits['first-contentful-paint']['displayValue']}"
                  f"  LCP {audits['largest-contentful-paint']['displayValue']}"
                  f"  TBT {audits['total-blocking-time']['displayValue']}")


if __name__ == "__main__":
    main()
