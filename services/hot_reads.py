"""Reads for the hottest pages, with no transaction around them. `one_row`: one row for the
receipt's QR link, through the driver's own cursor. `reading`: an ORM session of its own for a
page that only reads (a case's first view).

SQLAlchemy's Core costs ~60 µs a statement above the driver's own ~25 µs, a tenth of the whole
request there; and on PostgreSQL the implicit transaction adds a BEGIN and a ROLLBACK, two round
trips, to a read that needs none. The statement is still SQLAlchemy's, compiled once per dialect
(its SQL and parameter style stay portable); the connection is still the pool's (tested before
use, returned after); and a driver error still becomes SQLAlchemy's, so the app's 503 page shows
while the database is away."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from extensions import db

_compiled_for: dict = {}


def _compiled(statement, dialect) -> tuple[str, tuple | None]:
    key = (statement, dialect.name)  # the statement itself, held: an id could be reused
    found = _compiled_for.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect)
        found = _compiled_for[key] = (str(compiled), tuple(compiled.positiontup) if compiled.positional else None)
    return found


def one_row(statement, params: dict) -> tuple | None:
    """The first row of a SELECT built once at import (it keys the compiled SQL), or None."""
    with db.engine.connect() as conn:
        dialect = conn.dialect
        sql, order = _compiled(statement, dialect)
        args = [params[name] for name in order] if order is not None else params
        driver = conn.connection.dbapi_connection
        own_transaction = dialect.name == "postgresql"  # SQLite's driver opens none for a SELECT
        cursor = driver.cursor()
        gone = False
        try:
            if own_transaction:
                driver.autocommit = True
            cursor.execute(sql, args)
            return cursor.fetchone()
        except dialect.loaded_dbapi.Error as exc:
            gone = dialect.is_disconnect(exc, driver, cursor)
            if gone:  # as SQLAlchemy does: every pooled connection is as dead as this one
                conn.engine.pool._invalidate(conn.connection, exc)
                conn.invalidate(exc)
            raise DBAPIError.instance(sql, args, exc, dialect.loaded_dbapi.Error,
                                      hide_parameters=conn.engine.hide_parameters,  # logs name no case
                                      connection_invalidated=gone, dialect=dialect) from exc
        finally:
            if not gone:
                cursor.close()
                if own_transaction:
                    driver.autocommit = False


@contextmanager
def reading() -> Iterator[Session]:
    """An ORM session of its own, on a pooled connection in autocommit: on PostgreSQL no BEGIN
    before its statement and no ROLLBACK after, two round trips of a first view's three (3.3–4.2
    → 2.5–2.7 ms in-process at 100,000 cases). It sees what is committed, and what it loads is
    detached when the block ends: load what the page shows in the statement (joinedload)."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn, Session(conn) as session:
        yield session
