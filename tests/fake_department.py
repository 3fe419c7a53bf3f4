"""A department system on loopback for tests: it can answer, be slow, fail, or sign wrongly."""
import json
import threading
import time

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from services.exchange.http import sign, verify


class FakeDepartment:
    def __init__(self, secret: str, records: dict | None = None):
        self.secret, self.records = secret, records or {}
        self.mode, self.delay, self.calls, self.events = "ok", 0.0, 0, {}

    def __call__(self, environ, start_response):
        request = Request(environ)
        self.calls += 1
        body = request.get_data()
        if not verify(self.secret, request.headers.get("X-Timestamp"), request.headers.get("X-Signature"), body):
            return Response("bad signature", status=401)(environ, start_response)
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "fail":
            return Response("down", status=503)(environ, start_response)
        payload = json.loads(body)
        if request.path == "/events":
            self.events.setdefault(payload["request_id"], payload)  # a repeat is dropped
            data = b'{"ok": true}'
        else:
            record = self.records.get(payload["query"], {}).get(payload["id_number"])
            data = json.dumps({"record": record}, ensure_ascii=False).encode()
        timestamp = str(int(time.time()))
        signature = sign(self.secret, timestamp, data)
        if self.mode == "bad_signature":
            signature = "0" * 64
        return Response(data, headers={"Content-Type": "application/json", "X-Timestamp": timestamp,
                                       "X-Signature": signature})(environ, start_response)


class Running:
    """The fake department served in a thread; `url` to point an adapter at."""

    def __init__(self, department: FakeDepartment):
        self.department = department
        self.server = make_server("127.0.0.1", 0, department, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
