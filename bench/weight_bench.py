"""Bytes on the wire of the home page's first load (HTML + CSS + JS + icons), gzip.

Loads the page in Debian's Chromium with an empty cache, lists every resource the page
fetched, then fetches each again with `Accept-Encoding: gzip` and counts body + headers.
Also prints what Chromium itself transferred (it negotiates br). Target: <= 40 KB gzip."""
import sys
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _server import app_server  # noqa: E402
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

TARGET = 40 * 1024


def gzip_bytes(url: str) -> tuple[int, str]:
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req) as res:
        body = res.read()
        headers = sum(len(k) + len(v) + 4 for k, v in res.getheaders()) + 17
        return len(body) + headers, res.headers.get("Content-Encoding", "identity")


def main() -> None:
    with app_server() as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(viewport={"width": 390, "height": 844},
                                   service_workers="block").new_page()
        fetched = []
        page.on("requestfinished", lambda r: fetched.append(r))
        page.goto(base + "/", wait_until="networkidle")
        rows, total_gzip, total_browser, seen = [], 0, 0, set()
        for req in fetched:
            if req.url in seen:  # the favicon is the header's logo too: one download
                continue
            seen.add(req.url)
            sizes = req.sizes()
            browser_bytes = sizes["responseBodySize"] + sizes["responseHeadersSize"]
            gz, enc = gzip_bytes(req.url)
            rows.append((req.url.replace(base, ""), req.resource_type, gz, enc, browser_bytes))
            total_gzip += gz
            total_browser += browser_bytes
        browser.close()
    print(f"{'resource':55} {'type':11} {'gzip B':>8} {'chromium B':>11}")
    for url, kind, gz, enc, br in rows:
        print(f"{url[:55]:55} {kind:11} {gz:8d} {br:11d}  {enc}")
    print(f"{'total, first load of /':67} {total_gzip:8d} {total_browser:11d}")
    print(f"target <= {TARGET} B gzip -> {'met' if total_gzip <= TARGET else 'NOT met'}"
          f" ({total_gzip / 1024:.1f} KB)")


if __name__ == "__main__":
    main()
