"""gunicorn settings for tests/faults (GUNICORN_CMD_ARGS="--config <this file>"): a test arms a
pause by writing its point into FAULT_DIR/armed; the first worker to reach that point in a
submission takes the file, writes its pid into FAULT_DIR/paused.pid and waits there, so the test
kills it (kill -9) at exactly that moment, not wherever a timer happens to land.

    flushed    the case is INSERTed, its transaction still open
    committed  the case is committed, the answer not yet sent
"""
import os
import time
from pathlib import Path


def post_worker_init(worker):
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from extensions import db
    from services.cases.lifecycle import Case

    with worker.wsgi.app_context():  # run with --preload: no connection is shared across the fork
        db.engine.dispose(close=False)
    folder = Path(os.environ["FAULT_DIR"])

    @event.listens_for(Session, "after_flush")
    def case_flushed(session, flush_context):
        if any(isinstance(row, Case) for row in session.new):
            session.info["case_written"] = True
            pause_if_armed(folder, "flushed")

    @event.listens_for(Session, "after_commit")
    def case_committed(session):
        if session.info.pop("case_written", False):
            pause_if_armed(folder, "committed")


def pause_if_armed(folder: Path, point: str) -> None:
    armed = folder / "armed"
    try:
        if armed.read_text() != point:
            return
        armed.rename(folder / "taken")  # one worker wins; the replay after it goes through
    except FileNotFoundError:
        return
    (folder / "paused.tmp").write_text(str(os.getpid()))
    (folder / "paused.tmp").rename(folder / "paused.pid")
    time.sleep(60)  # the test kills this worker long before; gunicorn's timeout would too
