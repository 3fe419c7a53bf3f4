"""Signed JSON over HTTPS to a department system.

Both directions carry `X-Timestamp` (Unix seconds) and `X-Signature`: hex HMAC-SHA256 of
`timestamp + "\\n" + body` with the shared secret. A message older or newer than 5 minutes, or
with a wrong signature, is refused. Timeout 3 s, at most 2 retries on a connection failure or a
5xx; a 4xx is not retried."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
import urllib.error
import urllib.request

REPLAY_WINDOW = 300
RETRIES = 2
log = logging.getLogger(__name__)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float | None = None) -> bool:
    if not timestamp or not signature or not re.fullmatch(r"[0-9]{1,12}", timestamp, re.ASCII):
        return False
    if not re.fullmatch(r"[0-9a-f]{64}", signature, re.ASCII):  # compare_digest refuses non-ASCII text
        return False
    if abs((now or time.time()) - int(timestamp)) > REPLAY_WINDOW:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class HttpAdapter:
    kind = "http"

    def __init__(self, system: str, url: str, secret: str, timeout: float = 3.0):
        self.system, self.url, self.secret, self.timeout = system, url.rstrip("/"), secret, timeout

    def query(self, query: str, id_number: str, name: str) -> dict | None:
        answer = self._post("/query", {"query": query, "id_number": id_number, "name": name})
        return answer.get("record")

    def notify(self, payload: dict, key: str) -> None:
        """A case event for the department; the key lets it drop a repeat."""
        self._post("/events", {**payload, "request_id": key})

    def _post(self, path: str, payload: dict) -> dict:
        from services.exchange import DepartmentUnavailable

        body = json.dumps(payload, ensure_ascii=False).encode()
        last = ""
        for attempt in range(RETRIES + 1):
            timestamp = str(int(time.time()))
            request = urllib.request.Request(self.url + path, data=body, method="POST", headers={
                "Content-Type": "application/json", "X-Timestamp": timestamp,
                "X-Signature": sign(self.secret, timestamp, body)})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    data = response.read()
                    if not verify(self.secret, response.headers.get("X-Timestamp"),
                                  response.headers.get("X-Signature"), data):
                        log.error("exchange %s: response signature refused", self.system)
                        raise DepartmentUnavailable("bad signature")
                    return json.loads(data)
            except urllib.error.HTTPError as exc:
                last = f"HTTP {exc.code}"
                if exc.code < 500:
                    break
            except ValueError:
                last = "not JSON"
                break
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                last = f"{type(exc).__name__}: {exc}"
                if isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError):
                    break  # a slow department is not helped by asking again now
            log.warning("exchange %s: attempt %d failed: %s", self.system, attempt + 1, last)
        log.error("exchange %s: giving up: %s", self.system, last)
        raise DepartmentUnavailable(last)
