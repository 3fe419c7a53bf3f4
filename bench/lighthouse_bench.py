"""Lighthouse (mobile, simulated slow 4G) on the home page, a guide, a search and two forms, in Debian's Chromium.

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


def main() -> None:
    if not LIGHTHOUSE.exists():
        NODE.mkdir(exist_ok=True)
        subprocess.run(["npm", "install", "--silent", "--prefix", str(NODE), "lighthouse@12"], check=True)
    with app_server() as base, tempfile.TemporaryDirectory() as tmp:
        for path in PAGES:
            out = Path(tmp) / "report.json"
            subprocess.run([str(LIGHTHOUSE), base + path, "--quiet", f"--chrome-flags={FLAGS}",
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
