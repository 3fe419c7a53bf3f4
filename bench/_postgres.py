"""A throwaway PostgreSQL cluster on a free loopback port, as scripts/test.sh starts one, removed
afterwards whatever happens. fsync and full-page writes are off: a benchmark, not a database to
keep (commits cost less than on a durable server)."""
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from pathlib import Path

from _server import free_port

SETTINGS = {
    "listen_addresses": "127.0.0.1", "fsync": "off", "full_page_writes": "off", "max_connections": "300",
    "shared_buffers": "1GB", "maintenance_work_mem": "512MB", "max_wal_size": "8GB",
}


@contextmanager
def postgres(database: str = "yiwang_scale"):
    """Yields the SQLAlchemy URL of an empty database."""
    pgbin = max(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name.split(".")[0]))
    tmp = Path(tempfile.mkdtemp(prefix="yiwang-scale-pg."))
    as_pg = []
    if os.geteuid() == 0:  # initdb refuses root: run the cluster as postgres
        shutil.chown(tmp, "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    port, data = free_port(), tmp / "data"
    options = f"-p {port} -k {tmp} " + " ".join(f"-c {k}={v}" for k, v in SETTINGS.items())

    def pg(*args, check=True):
        subprocess.run(as_pg + [str(pgbin / args[0]), *args[1:]], check=check,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL if not check else None)

    try:
        pg("initdb", "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8")
        pg("pg_ctl", "-D", str(data), "-l", str(tmp / "log"), "-w", "-o", options, "start")
        pg("createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", database)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(tmp, ignore_errors=True)
