"""The contact-app rule: the whole page, or only the fragment when htmx asked for a part."""
from flask import render_template

from extensions import htmx


def wants_fragment() -> bool:
    # A boosted navigation or a history restore wants the whole page.
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(page: str, fragment: str, **context):
    return render_template(fragment if wants_fragment() else page, **context)


def vary_on_htmx(response):
    """A page and its fragment share a URL (hx-push-url): caches must keep them apart, or the back
    button could show a bare fragment."""
    if response.mimetype == "text/html":  # written as text: parsing Vary into a set costs ~15 µs
        vary = response.headers.get("Vary")
        if not vary:
            response.headers["Vary"] = "HX-Request"
        elif "HX-Request" not in vary:
            response.headers["Vary"] = f"{vary}, HX-Request"
    return response
