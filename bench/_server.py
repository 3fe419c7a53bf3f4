"""Start gunicorn serving the app (on a fresh migrated SQLite) or the bare Flask hello world."""
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, seconds: float = 20) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} did not start")


@contextmanager
def gunicorn(target: str, workers: int = 2, env: dict | None = None, ready_path: str = "/"):
    port = free_port()
    proc = subprocess.Popen(
        [str(VENV / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
         "--log-level", "warning", target],
        cwd=ROOT, env={**os.environ, **(env or {})},
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}{ready_path}")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def app_server(workers: int = 2, prepare=None):
    """The real app on a fresh SQLite database, migrated and seeded as `make run` does.
    `prepare(app)` runs in-process first (to load data); what it returns is yielded too."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3", "UPLOAD_DIR": f"{tmp}/uploads"}
        flask = [str(VENV / "flask"), "--app", "wsgi"]
        for cmd in (["db", "upgrade"], ["seed"]):
            subprocess.run(flask + cmd, cwd=ROOT, env={**os.environ, **env}, check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        prepared = None
        if prepare:
            os.environ.update(env)
            sys.path.insert(0, str(ROOT))
            from wsgi import create_app

            prepared = prepare(create_app())
        with gunicorn("wsgi:app", workers, env, ready_path="/healthz") as url:
            yield (url, prepared) if prepare else url


if __name__ == "__main__":
    sys.exit("import me")
