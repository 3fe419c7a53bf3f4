"""What the fault tests share: a throwaway PostgreSQL cluster they may stop and start (as
scripts/test.sh makes one), and the real app under gunicorn on the test database."""
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from bench._server import free_port

PG_ROOT = Path("/usr/lib/postgresql")


class Cluster:
    """A PostgreSQL cluster in a temporary folder, on a free loopback port, run as `postgres`
    when the tests run as root (PostgreSQL refuses to run as root)."""

    def __init__(self, folder: Path):
        versions = sorted(PG_ROOT.glob("*/bin"), key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
        self.bin, self.folder, self.port = versions[-1], folder, free_port()
        self.as_pg = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/faults"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_pg, str(self.bin / tool), *args], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def create(self) -> None:
        if self.as_pg:
            shutil.chown(self.folder, "postgres")
        self._run("initdb", "-D", f"{self.folder}/data", "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C.UTF-8")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "faults")

    def start(self) -> None:
        self._run("pg_ctl", "-D", f"{self.folder}/data", "-l", f"{self.folder}/log", "-w", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c synchronous_commit=off", "start")

    def stop(self, mode: str = "fast") -> None:
        """fast: connections are ended, as by `systemctl restart postgresql`; immediate: as by a crash."""
        self._run("pg_ctl", "-D", f"{self.folder}/data", "-m", mode, "-w", "stop")


@pytest.fixture(scope="module")
def postgres():
    """A cluster of this module's own, whichever database the rest of the suite runs on."""
    # make test installs it (scripts/system-deps.sh): its absence is a broken set-up, not a pass.
    assert list(PG_ROOT.glob("*/bin/initdb")), "PostgreSQL is not installed: run scripts/system-deps.sh"
    folder = Path(tempfile.mkdtemp(prefix="yiwang-faults-pg."))
    cluster = Cluster(folder)
    try:
        cluster.create()
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped by the test
        shutil.rmtree(folder, ignore_errors=True)
