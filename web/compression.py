"""Compress a body once and keep it: at the highest level for bytes that never change while the
process lives (hashed static files here, rendered catalog pages in web.pagecache), at a quick one
for pages kept until their rows change (web.pagecache.Held). Everything else is left to
Flask-Compress, which compresses per response."""
import gzip

import brotli
from flask import request

COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml",
                "text/html"}
_encoded: dict[tuple[str, str], bytes] = {}
MAX_ENTRIES = 4000  # bounded by the static files
# About Flask-Compress's own levels, for a page that may be read only once; the highest for bytes
# kept while the process lives (brotli's 11 takes ~7 ms for a 3.5 KB page).
QUICK, BEST = {"br": 5, "gzip": 6}, {"br": 11, "gzip": 9}


def choose_encoding(accept_encoding: str) -> str | None:
    """br, else gzip, where the browser takes it; one it names with q=0 it refuses (RFC 9110)."""
    taken, refused = set(), set()
    for part in accept_encoding.lower().split(","):
        name, _, params = part.partition(";")
        (refused if _zero_quality(params) else taken).add(name.strip())
    for name in ("br", "gzip"):
        if name in taken or "*" in taken and name not in refused:
            return name
    return None


def _zero_quality(params: str) -> bool:
    for param in params.split(";"):
        key, _, value = param.partition("=")
        if key.strip() == "q":
            try:
                return float(value) == 0
            except ValueError:
                return True  # a weight that is no number: not taken on trust
    return False


def encode(data: bytes, encoding: str, best: bool = True) -> bytes:
    level = (BEST if best else QUICK)[encoding]
    if encoding == "br":
        return brotli.compress(data, quality=level)
    return gzip.compress(data, compresslevel=level, mtime=0)


def encode_once(key: str, data: bytes, encoding: str) -> bytes:
    cached = _encoded.get((key, encoding))
    if cached is None:
        cached = encode(data, encoding)
        if len(_encoded) < MAX_ENTRIES:
            _encoded[(key, encoding)] = cached
    return cached


def precompress_static(response):
    """A hashed static file (?v=; web.assets.static_file_response) compressed once, not per request."""
    if response.mimetype not in COMPRESSIBLE:
        return response
    encoding = choose_encoding(request.headers.get("Accept-Encoding", ""))
    if encoding is None:
        return response
    response.direct_passthrough = False
    key = f"static:{request.path}?{request.args['v']}"
    response.set_data(encode_once(key, response.get_data(), encoding))
    response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    if response.headers.get("ETag"):
        response.set_etag(response.get_etag()[0] + "-" + encoding)
    return response
