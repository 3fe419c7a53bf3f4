"""长辈版 (large text, bigger targets): a cookie remembered on the device, switched by a plain link."""
from urllib.parse import urlsplit

ELDER_COOKIE = "elder"
ONE_YEAR = 365 * 24 * 3600


def is_elder(request) -> bool:
    return request.cookies.get(ELDER_COOKIE) == "1"


def safe_next(target: str | None) -> str:
    """Only a path on this site: the toggle must not become an open redirect."""
    if not target:
        return "/"
    if not target.isprintable() or "\\" in target:  # no CR/LF for header injection, no \\host tricks
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target
