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


def no_store(body, status: int = 200):
    """A response with personal data: never kept by a browser, a proxy or the service worker."""
    from flask import make_response

    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def add_security_headers(response):
    response.headers.update(HEADERS)  # the same for every response; no view sets its own
    return response
