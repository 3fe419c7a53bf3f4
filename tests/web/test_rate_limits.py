"""Flood limits on Redis: every worker and host counts into one total (a real redis-server from
Debian's package, on a free loopback port); and Redis going away costs no sign-in a 500."""
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# One "worker": its own process, its own app, the login form posted `count` times.
WORKER = """
import sys
import services.people.passwords as passwords
passwords.check_password_hash = lambda stored, typed: False  # the limit is under test, not scrypt
from wsgi import create_app
app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "WTF_CSRF_ENABLED": False,
                  "SQLALCHEMY_DATABASE_URI": sys.argv[1], "RATELIMIT_STORAGE_URI": sys.argv[2]})
client = app.test_client()
print(" ".join(str(client.post("/office/login", data={"username": "nobody", "password": "Wrong-guess-2026"}).status_code)
               for _ in range(int(sys.argv[3]))))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    port, folder = _free_port(), tmp_path_factory.mktemp("redis")
    server = subprocess.Popen([shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
                               "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
                              stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def worker(database_url: str, storage: str, count: int) -> list[int]:
    done = subprocess.run([sys.executable, "-c", WORKER, database_url, storage, str(count)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    return [int(code) for code in done.stdout.split()]


def test_two_processes_share_one_count_on_redis(app, database_url, redis_url):
    first, second = worker(database_url, redis_url, 12), worker(database_url, redis_url, 12)
    assert 429 not in first  # 20 tries per 10 minutes from one address, across both
    assert second.count(429) == 4 and 429 not in second[:8]


def test_in_memory_each_process_counts_alone(app, database_url):
    """What the default is documented to be: right for one process only."""
    assert 429 not in worker(database_url, "memory://", 12) + worker(database_url, "memory://", 12)


def test_redis_gone_costs_no_sign_in_a_500(app, database_url):
    codes = worker(database_url, f"redis://127.0.0.1:{_free_port()}/0", 3)  # nobody listens there
    assert codes == [422, 422, 422]


def test_start_up_refuses_a_limit_no_decorator_would_check(monkeypatch):
    """The app-wide check is removed (wsgi._limiter_hooks_only_where_limited): a blueprint's or a
    default limit would silently never apply, so the app does not start with one."""
    import wsgi
    from extensions import limiter

    wsgi._only_view_limits()  # as the app is
    monkeypatch.setattr(limiter.limit_manager, "_blueprint_limits", {"office": ["10 per minute"]})
    with pytest.raises(RuntimeError, match="only views may carry a limit"):
        wsgi._only_view_limits()
