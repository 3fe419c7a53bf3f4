"""Screenshots of pages at phone (390x844) and kiosk (1080x1920) sizes, for looking at what we build.

Usage: .venv/bin/python scripts/screens.py http://localhost:8000 out/ /path1 /path2 ...
"""
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SIZES = {"phone": (390, 844), "kiosk": (1080, 1920)}


def main(base: str, out: str, paths: list[str], elder: bool = False) -> None:
    Path(out).mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for size, (w, h) in SIZES.items():
            ctx = browser.new_context(viewport={"width": w, "height": h}, locale="zh-CN")
            page = ctx.new_page()
            for path in paths:
                page.goto(base + path)
                name = path.strip("/").replace("/", "_").replace("?", "_") or "home"
                page.screenshot(path=f"{out}/{size}-{name}.png", full_page=True)
            ctx.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
