"""The driver's own read behind the receipt's QR link: the same row as SQLAlchemy gives, a driver
error still SQLAlchemy's (the app's 503 and 500 pages know those), no transaction left behind."""
import pytest
from sqlalchemy import bindparam, select, text
from sqlalchemy.exc import DBAPIError

from extensions import db
from services import hot_reads
from services.cases.lifecycle import Case, submit_case
from services.cases.tracking import _VERSION, version_by_token
from tests import factories

MISSING = select(text("nothing")).select_from(text("no_such_table")).where(text("id = :id").bindparams(bindparam("id")))


def test_the_same_row_as_sqlalchemy_reads(app):
    with app.app_context():
        case = submit_case(app.extensions["catalog"].get("621027-BM-005"), factories.person(),
                           {"elder_name": "李秀英"}, factories.key())
        db.session.commit()
        expected = db.session.execute(_VERSION, {"number": case.number}).one()
        assert hot_reads.one_row(_VERSION, {"number": case.number}) == tuple(expected)
        assert hot_reads.one_row(_VERSION, {"number": "ZY000000000000"}) is None
        assert version_by_token(case.number, case.track_token) == (case.id, case.version)


def test_a_driver_error_is_sqlalchemys_and_leaves_the_pool_clean(app):
    with app.app_context():
        with pytest.raises(DBAPIError):
            hot_reads.one_row(MISSING, {"id": 1})
        # The connection went back usable, not in autocommit, with no transaction open.
        with db.engine.connect() as conn:
            assert conn.execute(select(Case.id).limit(1)).all() is not None
            if conn.dialect.name == "postgresql":
                driver = conn.connection.dbapi_connection
                assert driver.autocommit is False
        assert hot_reads.one_row(_VERSION, {"number": "ZY000000000000"}) is None
