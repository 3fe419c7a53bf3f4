"""Personal data at rest, as someone with a copy of the database would find it: no ID number or
phone in clear anywhere, values that do not open once changed or moved, lookups that still
work, and keys that rotate without the site stopping."""
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text

from extensions import db
from services.key_rotation import rotate, sealed_columns
from services.people.identity import Person
from services.sealing import Keys, Tampered, key_id_of
from tests.conftest import sign_in
from tests.web.test_apply import ID_A, apply_fully

PHONE = "13900000001"
OLD, NEW = "1:" + "11" * 16, "2:" + "22" * 16
INDEX = "33" * 32


@contextmanager
def keys(app, sealing: str, index: str = INDEX):
    """The app's keys for a while, as a restart with other PERSONAL_DATA_KEYS would make them."""
    registry = app.extensions["registry"]
    before = registry.keys
    registry.keys = Keys.parse(sealing, index)
    try:
        yield
    finally:
        registry.keys = before


def dump(app) -> str:
    """Every sealed column's stored text, as a copy of the database holds it."""
    with app.app_context():
        return "\n".join(str(value) for sc in sealed_columns()
                         for value in db.session.execute(text(f"SELECT {sc.name} FROM {sc.table}")).scalars())


def test_no_id_number_or_phone_is_stored_in_clear(app, client):
    sign_in(client, PHONE, "李秀英", ID_A)
    apply_fully(app, client)
    stored = dump(app)
    assert stored.count("dev:") >= 5  # the person's two, the case's two and its answers at least
    for secret in (PHONE, ID_A, ID_A[:6] + ID_A[-4:], "李秀英"):
        assert secret not in stored
    with app.app_context():  # yet the app reads them, and finds the person by either
        person = db.session.scalar(select(Person).where(Person.phone == PHONE))
        assert (person.phone, person.id_number) == (PHONE, ID_A)
        assert db.session.scalar(select(Person.id).where(Person.id_number == ID_A)) == person.id
        assert db.session.scalar(select(Person.id).where(Person.id_number.in_([ID_A, "x"]))) == person.id
        raw_index = db.session.execute(text("SELECT phone_index FROM persons")).scalar()
        assert re.fullmatch(r"[0-9a-f]{64}", raw_index) and PHONE not in raw_index


def test_a_value_changed_or_moved_in_the_database_does_not_open(app, client):
    sign_in(client, PHONE, "李秀英", ID_A)
    apply_fully(app, client)
    with app.app_context():
        sealed_phone = db.session.execute(text("SELECT phone FROM persons")).scalar()
        flipped = sealed_phone[:-6] + ("A" if sealed_phone[-6] != "A" else "B") + sealed_phone[-5:]
        db.session.execute(text("UPDATE persons SET phone = :p"), {"p": flipped})
        db.session.execute(text("UPDATE cases SET applicant_phone = :p"), {"p": sealed_phone})  # a valid seal, elsewhere
        db.session.commit()
        with pytest.raises(Tampered):
            db.session.scalar(select(Person.phone))
        db.session.rollback()
        from services.cases.lifecycle import Case
        with pytest.raises(Tampered):
            db.session.scalar(select(Case.applicant_phone))


def test_keys_rotate_while_old_values_still_open(app, client):
    with keys(app, OLD):
        sign_in(client, PHONE, "李秀英", ID_A)
        apply_fully(app, client)
    assert "1:" in dump(app) and "2:" not in dump(app)
    with keys(app, f"{NEW},{OLD}"), app.app_context():
        assert db.session.scalar(select(Person.id_number)) == ID_A  # the old key still opens
        done = rotate()
        assert done["persons.phone"] == 1 and done["cases.answers"] == 1
        assert rotate() == {name: 0 for name in done}  # run again: nothing left to do
    stored = dump(app)
    assert not re.search(r"(^|\n)1:", stored) and "2:" in stored
    with keys(app, NEW), app.app_context():  # the old key gone: everything opens with the new one
        person = db.session.scalar(select(Person).where(Person.phone == PHONE))
        assert person.id_number == ID_A


def test_a_new_blind_index_key_takes_a_reindex(app, client):
    with keys(app, OLD):
        sign_in(client, PHONE, "李秀英", ID_A)
    with keys(app, OLD, index="44" * 32), app.app_context():
        assert db.session.scalar(select(Person.id).where(Person.phone == PHONE)) is None  # lookups miss
        assert rotate(reindex=True)["persons.phone"] == 1
        assert db.session.scalar(select(Person.id).where(Person.phone == PHONE)) is not None


def test_the_rotate_command_reports_what_it_did(app, client):
    sign_in(client, PHONE, "李秀英", ID_A)
    with keys(app, NEW):  # dev-derived values, the new key current: the command seals them again
        app.extensions["registry"].keys = Keys(current="2", sealing={**Keys.parse(NEW, INDEX).sealing,
                                                                     **Keys.derived(app.config["SECRET_KEY"]).sealing},
                                               index=Keys.derived(app.config["SECRET_KEY"]).index)
        app.extensions["keys"], before = app.extensions["registry"].keys, app.extensions["keys"]
        try:
            result = app.test_cli_runner().invoke(args=["rotate-keys"])
        finally:
            app.extensions["keys"] = before
    assert result.exit_code == 0 and "persons.phone：1 条" in result.output and "已用密钥 2 重新加密" in result.output
    with app.app_context():
        assert key_id_of(db.session.execute(text("SELECT phone FROM persons")).scalar()) == "2"
