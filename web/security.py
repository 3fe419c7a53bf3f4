"""Security headers on every response. No inline script anywhere, so script-src is only 'self'."""

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Permissions-Policy": "geolocation=(), microphone=(), camera=(self)",
}


_HEADER_PAIRS = tuple(HEADERS.items())


NO_STORE = "no-store"


def no_store(body, status: int = 200):
    """A response with personal data: never kept by a browser, a proxy or the service worker."""
    from flask import make_response

    response = make_response(body, status)
    response.headers["Cache-Control"] = NO_STORE
    return response


def refuse_nul_bytes():
    """No browser sends a NUL byte in a URL or a form, or a query string that is not UTF-8; refuse
    them before anything reads them (the database, a page showing where it is). Each field's own parser gives the friendlier message for everything else."""
    from flask import request
    from werkzeug.exceptions import BadRequest

    query = request.query_string
    try:  # a query string that is not UTF-8 (no browser sends one) is refused, not read half-decoded
        query.decode()
    except UnicodeDecodeError:
        raise BadRequest()
    # A NUL reaches a query's names and values only as %00 (or raw): looked for in the raw query,
    # which costs nothing on the hottest pages, rather than in every parsed argument.
    if "\x00" in request.path or b"%00" in query or b"\x00" in query:
        raise BadRequest()
    # Machine endpoints read and verify their raw body themselves (a provider may post a form).
    if request.method == "POST" and not request.path.startswith("/api/") \
            and request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if any("\x00" in k + v for k, v in request.form.items(multi=True)):
            raise BadRequest()


def add_security_headers(response):
    """The same for every response; no view sets its own. A kiosk page may also reach its ID-card
    reader's local service (g.connect_also, set by the kiosk front end)."""
    from flask import g

    extra = g.get("connect_also")
    if extra:
        response.headers.update(HEADERS)
        response.headers["Content-Security-Policy"] = CSP.replace("connect-src 'self'", f"connect-src 'self' {extra}")
    else:  # appended, not set: no view sets these (a set looks for each first, ~10 µs a response)
        response.headers.extend(_HEADER_PAIRS)
    return response
