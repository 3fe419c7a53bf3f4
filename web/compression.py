"""Compress a body once and keep it: at the highest level for bytes that never change while the
process lives (hashed static files, rendered catalog pages), at a quick one for pages kept until
their rows change (web.pagecache.Held). Everything else is left to Flask-Compress, which
compresses per response."""
import gzip

import brotli
from flask import request

COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml",
                "text/html"}
_encoded: dict[tuple[str, str], bytes] = {}
MAX_ENTRIES = 4000  # bounded by catalog pages and static files


def choose_encoding(accept_encoding: str) -> str | None:
    for name in ("br", "gzip"):
        if name in accept_encoding:
            return name
    return None


def encode(data: bytes, encoding: str, best: bool = True) -> bytes:
    """`best` for bytes kept for the process's life (brotli's 11 takes ~7 ms for a 3.5 KB page);
    otherwise about Flask-Compress's own levels, for a page that may be read only once."""
    if encoding == "br":
        return brotli.compress(data, quality=11 if best else 5)
    return gzip.compress(data, compresslevel=9 if best else 6, mtime=0)


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
