"""The audit log as someone with the database in hand would try to bend it: the database refuses
deletes and edits; a row changed, removed or slipped in past the triggers (as the table's owner
could) is named by the verify command."""
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from extensions import db
from services import audit
from services.audit import AuditEntry, record, seal, verify


def entries(count: int = 5) -> None:
    for n in range(count):
        record("staff", 7, "李娜", "view_case", f"case:ZY{n:03}", {"n": n, "名": "值"}, ip="10.0.0.8")


def raw(sql: str, **params) -> None:
    """As the table's owner, past the triggers (which an owner can drop)."""
    postgres = db.session.get_bind().dialect.name == "postgresql"
    db.session.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER" if postgres else "SELECT 1"))
    if not postgres:
        triggers = db.session.execute(text("SELECT name, sql FROM sqlite_master WHERE type='trigger' "
                                           "AND tbl_name='audit_log'")).all()
        for name, _ in triggers:
            db.session.execute(text(f"DROP TRIGGER {name}"))
    db.session.execute(text(sql), params)
    if postgres:
        db.session.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    else:
        for _, ddl in triggers:
            db.session.execute(text(ddl))
    db.session.commit()


def test_sealed_rows_chain_and_verify(app):
    with app.app_context():
        entries(3)
        assert seal() [0] == 3
        entries(2)
        sealed, head, head_hash = seal()
        assert (sealed, head) == (2, 5) and len(head_hash) == 64
        assert seal()[0] == 0
        verdict = verify()
        assert verdict.intact and (verdict.checked, verdict.unsealed) == (5, 0)
        rows = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)))
        assert rows[0].prev_hash == audit.GENESIS and all(b.prev_hash == a.row_hash for a, b in zip(rows, rows[1:]))


def test_the_database_refuses_to_delete_or_change_a_row(app):
    with app.app_context():
        entries(2)
        seal()
        entries(1)  # not sealed yet: still its words may not change
        postgres = db.session.get_bind().dialect.name == "postgresql"
        for statement in ("DELETE FROM audit_log", "UPDATE audit_log SET actor_name = '王五' WHERE seq = 1",
                          "UPDATE audit_log SET seq = NULL WHERE seq = 2",
                          "UPDATE audit_log SET action = 'login' WHERE seq IS NULL") + (("TRUNCATE audit_log",) if postgres else ()):
            with pytest.raises(DatabaseError, match="append-only"):
                db.session.execute(text(statement))
                db.session.flush()
            db.session.rollback()
        assert db.session.scalar(select(db.func.count()).select_from(AuditEntry)) == 3


@pytest.mark.parametrize("tampering, problem", [
    ("UPDATE audit_log SET detail = '{\"n\": 99}' WHERE seq = 3", "内容被改动"),
    ("UPDATE audit_log SET at = at WHERE seq = 3; UPDATE audit_log SET actor_name = '王五' WHERE seq = 3", "内容被改动"),
    ("DELETE FROM audit_log WHERE seq = 3", "缺少第 3 条"),
])
def test_verify_names_the_first_row_tampered_with(app, tampering, problem):
    with app.app_context():
        entries(5)
        seal()
        for statement in tampering.split("; "):
            raw(statement)
        verdict = verify()
        assert (verdict.broken_at, verdict.problem) == (3, problem)


def test_a_row_rewritten_with_a_fresh_hash_still_breaks_the_chain_without_the_key(app):
    """Whoever edits a row and recomputes its hash without AUDIT_KEY (say, with SHA-256 of their
    own) leaves a row that does not check out."""
    import hashlib

    with app.app_context():
        entries(4)
        seal()
        row = db.session.scalar(select(AuditEntry).where(AuditEntry.seq == 2))
        forged = hashlib.sha256(b"forged").hexdigest()
        raw("UPDATE audit_log SET target = 'case:NONE', row_hash = :h WHERE seq = 2", h=forged)
        raw("UPDATE audit_log SET prev_hash = :h WHERE seq = 3", h=forged)
        assert verify().broken_at == 2 and row.id


def test_the_verify_command_exits_non_zero_on_a_broken_chain(app):
    runner = app.test_cli_runner()
    with app.app_context():
        entries(3)
        seal()
    ok = runner.invoke(args=["audit-verify"])
    assert ok.exit_code == 0 and "已核对 3 条" in ok.output and "链条完整" in ok.output
    with app.app_context():
        raw("DELETE FROM audit_log WHERE seq = 1")
    broken = runner.invoke(args=["audit-verify"])
    assert broken.exit_code == 1 and "第 1 条起链条断开：缺少第 1 条" in broken.output


def test_rows_cut_off_the_end_show_against_a_head_the_worker_logged(app):
    runner = app.test_cli_runner()
    with app.app_context():
        entries(5)
        _, head, head_hash = seal()
        assert verify((head, head_hash)).intact
        raw("DELETE FROM audit_log WHERE seq >= 4")
        assert verify().intact  # the chain alone cannot tell its end was cut
        verdict = verify((head, head_hash))
        assert (verdict.broken_at, verdict.problem) == (5, "系统日志记下的链头不在了")
    cut = runner.invoke(args=["audit-verify", "--head", f"{head}:{head_hash}"])
    assert cut.exit_code == 1 and "系统日志记下的链头不在了" in cut.output
    assert runner.invoke(args=["audit-verify", "--head", "x"]).exit_code == 2
