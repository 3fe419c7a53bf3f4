"""Static URLs carry a hash of the file, so browsers and the service worker may keep them forever."""
import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app, request, url_for

IMMUTABLE = "public, max-age=31536000, immutable"


@lru_cache(maxsize=None)
def _digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


_urls: dict[tuple[str, str], str] = {}


def asset_url(filename: str) -> str:
    """Built once per file (and mount point): url_for is a measurable share of a page's time."""
    key = (request.script_root, filename)
    url = _urls.get(key)
    if url is None:
        path = Path(current_app.static_folder) / filename
        url = _urls[key] = url_for("static", filename=filename, v=_digest(str(path)))
    return url


def static_file_response(response):
    """A hashed static file (?v=) never changes: kept forever, and compressed once. One hook for
    both, returning at once for every other response."""
    if request.endpoint != "static" or response.status_code != 200 or not request.args.get("v"):
        return response
    from .compression import precompress_static

    response.headers["Cache-Control"] = IMMUTABLE
    return precompress_static(response)


# Files every page needs: precached by the service worker so the shell opens with no signal.
SHELL_ASSETS = ["css/app.css", "js/app.js", "vendor/htmx-2.0.11.min.js", "icons/kinds.svg",
                "icons/icon-192.png"]
