from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

from extensions import db

ROOT = Path(__file__).resolve().parents[2]


def test_database_connection_is_configured_for_its_engine(app):
    with app.app_context():
        dialect = db.engine.dialect.name
        if dialect == "sqlite":
            run = lambda sql: db.session.execute(text(sql)).scalar()  # noqa: E731
            assert run("PRAGMA journal_mode") == "wal"
            assert run("PRAGMA foreign_keys") == 1
            assert run("PRAGMA busy_timeout") == 15000
        else:
            assert dialect == "postgresql" and db.engine.driver == "psycopg"
            assert db.session.execute(text("SHOW server_encoding")).scalar() == "UTF8"


def test_migrations_are_applied_to_the_head(app):
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    with app.app_context():
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    assert version == head


def test_models_and_migrations_agree(app):
    """A model changed without a migration shows up here as a difference."""
    with app.app_context(), db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


@contextmanager
def _at_revision(tmp_path, revision: str):
    """A database of its own migrated up to `revision`, holding one person: run(sql, **params)."""
    from flask_migrate import upgrade

    from wsgi import create_app

    old = create_app({"TESTING": True, "SECRET_KEY": "k", "UPLOAD_DIR": str(tmp_path / "u"),
                      "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(tmp_path / "old.sqlite3")})
    with old.app_context():
        upgrade(revision=revision)
        run = lambda sql, **p: db.session.execute(text(sql), p)  # noqa: E731
        run("INSERT INTO persons (id, phone, elder_offered, created_at) VALUES (1, '13900000001', false, '2026-01-01')")
        yield run
        db.session.remove()
        db.engine.dispose()


def test_migration_0012_turns_stored_material_positions_into_catalog_keys(app, tmp_path):
    """Rows written before 0012 (positions) come out with the catalog's keys, 补正 requests too."""
    from flask_migrate import downgrade, upgrade

    with _at_revision(tmp_path, "0011") as run:
        run("INSERT INTO cases (id, number, track_token, idempotency_key, item_code, item_name, department, "
            "applicant_id, applicant_name, applicant_id_number, applicant_phone, answers, status, promised_days, "
            "submitted_at, workdays_used, due_estimated, version) VALUES (1, 'ZY261101000011', 't', 'k', "
            "'621027-BM-004', '生育登记', '镇原县卫生健康局', 1, '李秀英', '622827199003032222', '13900000001', "
            "'{}', 'supplement', 1, '2026-11-01', 0, false, 1)")
        for upload_id, index in ((1, 3), (2, -1)):
            run("INSERT INTO uploads (id, key, owner_id, case_id, material_index, content_type, size, sha256, "
                "original_name, created_at) VALUES (:i, :k, 1, 1, :n, 'image/jpeg', 1, 'x', 'a.jpg', '2026-11-01')",
                i=upload_id, k=f"key{upload_id}", n=index)
        run("INSERT INTO case_events (id, case_id, at, action, from_status, to_status, actor_kind, actor_name, "
            "note, data) VALUES (1, 1, '2026-11-01', 'supplement', 'accepted', 'supplement', 'applicant', '李娜', "
            "'', :d)", d='{"materials": [3]}')
        # What the unchecked department API of 0011 let through must not stop the upgrade.
        run("INSERT INTO case_events (id, case_id, at, action, from_status, to_status, actor_kind, actor_name, "
            "note, data) VALUES (2, 1, '2026-11-01', 'supplement', 'accepted', 'supplement', 'department', 'x', "
            "'', :d)", d='{"materials": 3}')
        db.session.commit()
        upgrade()
        assert run("SELECT material_key FROM uploads ORDER BY id").scalars().all() == ["pregnancy_proof", "_result"]
        assert run("SELECT data FROM case_events ORDER BY id").scalars().all() in (
            ['{"materials": ["pregnancy_proof"]}', '{"materials": []}'],
            [{"materials": ["pregnancy_proof"]}, {"materials": []}])
        assert run("SELECT actor_kind FROM case_events WHERE id = 1").scalar() == "citizen"
        assert run("SELECT actor_id FROM cases").scalar() == 1
        db.session.commit()
        downgrade(revision="0011")  # and back, for a release rolled back
        assert run("SELECT material_index FROM uploads ORDER BY id").scalars().all() == [3, -1]
        assert run("SELECT data FROM case_events WHERE id = 1").scalar() in ('{"materials": [3]}', {"materials": [3]})


def test_migration_0015_fills_in_the_day_and_working_days_of_cases_already_done(app, tmp_path):
    """A case done before 0015 gets its China date of 办结 and every working day its clock ran."""
    from flask_migrate import downgrade, upgrade

    with _at_revision(tmp_path, "0014") as run:
        for case_id, status, completed_at in ((1, "completed", "2026-11-19 17:30:00"),
                                              (2, "not_accepted", "2026-11-19 03:00:00"), (3, "reviewing", None)):
            run("INSERT INTO cases (id, number, track_token, idempotency_key, item_code, item_name, department, "
                "applicant_id, applicant_name, applicant_id_number, applicant_phone, answers, status, promised_days, "
                "submitted_at, clock_started_on, workdays_used, due_estimated, version, actor_kind, completed_at) "
                "VALUES (:i, :n, :t, :t, '621027-BM-006', '最低生活保障申请', '镇原县民政局', 1, '李秀英', "
                "'622827199003032222', '13900000001', '{}', :s, 20, '2026-11-10', '2026-11-16', 2, false, 1, "
                "'citizen', :c)", i=case_id, n=f"ZY26111000000{case_id}", t=f"t{case_id}", s=status, c=completed_at)
        db.session.commit()
        upgrade()
        rows = run("SELECT id, completed_on, workdays_used FROM cases ORDER BY id").all()
        # 01:30 on Friday 20 November in China; Tuesday to Friday after a Monday start: 4 days, 2 before.
        assert [(i, str(d) if d else None, w) for i, d, w in rows] == [
            (1, "2026-11-20", 6), (2, "2026-11-19", 2), (3, None, 2)]
        db.session.commit()
        downgrade(revision="0014")


def test_migration_0027_seals_what_was_stored_in_clear_and_opens_it_going_back(app, tmp_path):
    """Rows written before 0027 are sealed in place and found by their blind index; a rollback
    leaves them in clear again."""
    from flask_migrate import downgrade, upgrade

    from services.cases.lifecycle import Case
    from services.people.identity import Person

    with _at_revision(tmp_path, "0026") as run:
        run("UPDATE persons SET id_number = '622827199003032222', name = '李秀英'")
        run("INSERT INTO cases (id, number, track_token, idempotency_key, item_code, item_name, department, "
            "applicant_id, applicant_name, applicant_id_number, applicant_phone, answers, status, promised_days, "
            "submitted_at, workdays_used, due_estimated, version, actor_kind) VALUES (1, 'ZY261101000011', 't', 'k', "
            "'621027-BM-004', '生育登记', '镇原县卫生健康局', 1, '李秀英', '622827199003032222', '13900000001', "
            "'{\"father_id\": \"622827198801011234\"}', 'submitted', 1, '2026-11-01', 0, false, 1, 'citizen')")
        db.session.commit()
        upgrade()
        stored = " ".join(str(v) for v in run("SELECT phone, id_number, phone_index FROM persons").one()) + " ".join(
            str(v) for v in run("SELECT applicant_id_number, applicant_phone, answers FROM cases").one())
        for clear in ("13900000001", "622827199003032222", "622827198801011234"):
            assert clear not in stored
        person = db.session.scalar(select(Person).where(Person.phone == "13900000001"))
        assert person.id_number == "622827199003032222"
        assert db.session.get(Case, 1).answers == {"father_id": "622827198801011234"}
        db.session.commit()
        downgrade(revision="0026")
        assert run("SELECT phone, id_number FROM persons").one() == ("13900000001", "622827199003032222")
        assert "622827198801011234" in str(run("SELECT answers FROM cases").scalar())


def _accounts(run, staff=(), agents=()) -> None:
    """城关镇 and its 东关村, with staff and agent rows: the columns given, the rest as every
    account of the revision has them."""
    run("INSERT INTO townships (id, code, name, center_address, phone, hours) VALUES (1, '621027100', '城关镇', '', '', '')")
    run("INSERT INTO villages (id, township_id, code, name, demo) VALUES (1, 1, '621027100201', '东关村', false)")
    common = {"password_hash": "x", "active": True, "created_at": "2026-11-01"}
    for table, rows, own in (("staff_users", staff, {"name": "李娜", "role": "window"}),
                             ("agents", agents, {"name": "赵红梅", "role": "agent", "village_id": 1, "township_id": 1,
                                                 "created_by": ""})):
        for row in rows:
            row = {**common, **own, **row}
            run(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})", **row)


def test_migration_0029_has_administrator_chosen_passwords_changed(app, tmp_path):
    """Every agent's password (but the demo's) and a staff member's not yet enrolled were chosen
    by an administrator: changed at the next sign-in. An enrolled member keeps theirs."""
    from flask_migrate import downgrade, upgrade

    with _at_revision(tmp_path, "0028") as run:
        _accounts(run, staff=[{"id": 1, "username": "enrolled", "two_factor_since": "2026-11-01"},
                              {"id": 2, "username": "waiting", "two_factor_since": None}],
                  agents=[{"id": 1, "username": "agent1", "created_by": "城关镇管理员"},
                          {"id": 2, "username": "agent2", "created_by": "演示数据"}])
        db.session.commit()
        upgrade()
        assert run("SELECT username, must_change_password FROM staff_users ORDER BY id").all() == [
            ("enrolled", False), ("waiting", True)]
        assert run("SELECT created_by, must_change_password FROM agents ORDER BY id").all() == [
            ("城关镇管理员", True), ("演示数据", False)]
        db.session.commit()
        downgrade(revision="0028")
        assert run("SELECT count(*) FROM agents").scalar() == 2


def test_the_queue_pages_after_sorting_so_the_overdue_always_show_first(app, monkeypatch):
    """Past a page of open cases, the first page holds those with the nearest deadlines — an
    overdue case made last must not fall off the end (it did: the cut came before the sort)."""
    from datetime import timedelta

    from services.cases import handling
    from services.cases.lifecycle import act, submit_case
    from services.clock import today
    from services.people.actors import Actor, staff
    from services.people.staff import create_account
    from services.places import township_id_by_name
    from tests import factories

    monkeypatch.setattr(handling, "QUEUE_PAGE", 2)
    with app.app_context():
        item = app.extensions["catalog"].get("621027-BM-005")
        township = township_id_by_name("城关镇")
        person = factories.person()
        clerk = Actor("staff", None, "李娜")
        made = []
        for due in (30, 20, -3):  # the overdue one last, with the highest id
            case = submit_case(item, person, {"elder_name": "李秀英"}, factories.key(), township_id=township)
            act(case, "accept", clerk)
            case.due_on = today() + timedelta(days=due)
            made.append(case.id)
        db.session.commit()
        window = create_account("cgwindow", "Maple-river-2026", "李娜", "window", township)
        first, second = handling.queue(staff(window)), handling.queue(staff(window), page=2)
        beyond = handling.queue(staff(window), page=9)
    assert sorted(c.id for c, _ in first.rows) == sorted([made[2], made[1]]) and first.total == 3 and first.more
    assert [c.id for c, _ in second.rows] == [made[0]] and not second.more  # the one due in 30 days
    assert beyond.page == 2 and [c.id for c, _ in beyond.rows] == [made[0]]  # past the end: the last page


def test_migration_0030_keeps_staff_recovery_codes_and_gives_each_code_one_owner(app, tmp_path):
    """Recovery codes become a staff member's or an agent's; a staff member's stay theirs, going
    up and back down, and a code of nobody (or of both) is refused by the database."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy.exc import IntegrityError

    with _at_revision(tmp_path, "0029") as run:
        _accounts(run, staff=[{"id": 1, "username": "chengguan", "must_change_password": False}],
                  agents=[{"id": 1, "username": "daiban", "must_change_password": False}])
        run("INSERT INTO recovery_codes (id, staff_id, code_hash) VALUES (1, 1, 'h1')")
        for session_id, kind in ((1, "agent"), (2, "staff")):  # both signed in while it runs
            run("INSERT INTO account_sessions (id, token_hash, account_kind, account_id, started_at, seen_at, ip, "
                "user_agent, ended_why) VALUES (:i, :t, :k, 1, '2026-11-26', '2026-11-26', '', '', '')",
                i=session_id, t=f"t{session_id}", k=kind)
        db.session.commit()
        upgrade()
        assert run("SELECT account_kind, ended_why FROM account_sessions ORDER BY id").all() == [
            ("agent", "two_factor_reset"), ("staff", "")]  # the agent signs in again, in two steps
        assert run("SELECT staff_id, agent_id FROM recovery_codes").all() == [(1, None)]
        assert run("SELECT two_factor_since, enrolment_code_hash FROM agents").all() == [(None, None)]
        run("INSERT INTO recovery_codes (id, agent_id, code_hash) VALUES (2, 1, 'h2')")
        db.session.commit()
        for owners in ("NULL, NULL", "1, 1"):
            with pytest.raises(IntegrityError):
                run(f"INSERT INTO recovery_codes (id, staff_id, agent_id, code_hash) VALUES (3, {owners}, 'h3')")
            db.session.rollback()
        downgrade(revision="0029")
        assert run("SELECT id, staff_id FROM recovery_codes").all() == [(1, 1)]
