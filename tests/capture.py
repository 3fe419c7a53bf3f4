"""A local HTTP server that plays a provider: it records every request and answers what the
test tells it to. Official SDKs are pointed at it to see what they really send."""
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict
    body: bytes

    def header(self, name: str) -> str:
        """A header as sent, whatever case the client wrote its name in."""
        return next(v for k, v in self.headers.items() if k.lower() == name.lower())


@dataclass
class Capture:
    url: str = ""
    seen: list[Seen] = field(default_factory=list)
    status: int = 200
    reply: object = field(default_factory=dict)
    routes: dict = field(default_factory=dict)  # path prefix -> its own reply
    signer: object = None  # body -> extra headers (a provider that signs its answers)

    def reply_to(self, path: str):
        return next((r for prefix, r in self.routes.items() if path.startswith(prefix)), self.reply)

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")


def serve():
    """(Capture, stop): a server on a free loopback port."""
    capture = Capture()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            capture.seen.append(Seen(self.command, self.path, {k: v for k, v in self.headers.items()}, body))
            reply = capture.reply_to(self.path)
            out = reply if isinstance(reply, bytes) else json.dumps(reply, ensure_ascii=False).encode()
            self.send_response(capture.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            for name, value in (capture.signer(out) if capture.signer else {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    capture.url = f"http://127.0.0.1:{server.server_address[1]}"
    return capture, server.shutdown
