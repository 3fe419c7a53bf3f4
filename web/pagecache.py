"""Rendered public pages, kept per worker with their compressed forms (Held): the catalog's for
good (it is read once at start-up and never changes while the process lives, so a guide renders
the same bytes every time), and pages kept until their rows change (a case's progress, 办件公示)."""
import hashlib

from flask import current_app, request

from services.memo import forget_all

from .compression import choose_encoding, encode
from .frontends import frontend, page_cacheable
from .preferences import is_elder

# Bounded by the catalog: (endpoint, argument, elder) for a few hundred pages at most.
MAX_PAGES = 2000


def cached_page(key: str, render):
    """Serve `render()` for this key from memory, revalidated by ETag (304 on a weak network).

    A page asked for with a query string renders afresh and is compressed by Flask-Compress:
    the query shows in the page (the 长辈版 link comes back to it) and must not grow the cache."""
    if not page_cacheable():
        return current_app.make_response(render())
    if request.query_string:
        response = current_app.make_response(render())
        response.headers["Cache-Control"] = "no-cache"
        response.add_etag()
        return response.make_conditional(request)
    cache = current_app.extensions.setdefault("page_cache", {})
    full_key = (frontend(), key, is_elder(request))  # a kiosk renders the same page in its own layout
    page = cache.get(full_key)
    if page is None:
        page = Held(render(), for_good=True)
        if len(cache) < MAX_PAGES:
            cache[full_key] = page
    return held_response(page, "no-cache")


class Held:
    """A rendered page kept in a per-process cache with each compressed form made the first time
    a browser asks for it: every phone asks for br or gzip, and compressing a 3.5 KB page again
    on each view (Flask-Compress) costs more than the rest of the view. A page kept `for_good`
    (the catalog's) is compressed at the highest level and carries an ETag; one kept until its
    rows change (services.memo.LRU: a case's progress, 办件公示) at a quick level, with none."""
    __slots__ = ("html", "etag", "for_good", "_encoded")

    def __init__(self, html: str, for_good: bool = False):
        self.html = html.encode()
        self.for_good = for_good
        self.etag = hashlib.sha1(self.html).hexdigest() if for_good else None
        self._encoded: dict[str, bytes] = {}

    def body(self, encoding: str | None) -> bytes:
        if encoding is None:
            return self.html
        found = self._encoded.get(encoding)
        if found is None:
            found = self._encoded[encoding] = encode(self.html, encoding, best=self.for_good)
        return found


def held_response(page: Held, cache_control: str | None = None):
    """The page in the encoding this browser takes (Flask-Compress leaves an encoded body alone),
    answered 304 where it carries an ETag the browser already has. Every page follows the 长辈版
    cookie (web.preferences), so caches keep the two apart."""
    encoding = choose_encoding(request.headers.get("Accept-Encoding", ""))
    response = current_app.response_class(page.body(encoding), mimetype="text/html")
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding, Cookie"
    if cache_control:
        response.headers["Cache-Control"] = cache_control
    if page.etag is None:
        return response
    response.set_etag(f"{page.etag}-{encoding}" if encoding else page.etag)  # per representation
    return response.make_conditional(request)


def forget_pages_of_rows() -> None:
    """Empty every cache of pages keyed by rows (a case's version, the latest event): for a
    database emptied under a running process (tests), where ids start again and a page keyed by
    them could come back. Pages of the catalog stay: it never changes while the process lives."""
    forget_all()
