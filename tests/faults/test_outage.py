"""The SMS gateway and a department system down for an hour (on a simulated clock) while cases are
submitted and decided: the outbox keeps every message, gives none up, and once both are back the
worker's passes send each exactly once, within minutes."""
from collections import Counter
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from extensions import db
from services import outbox
from services.cases.lifecycle import Case, act, submit_case
from services.outbox import MAX_PAUSE, OutboxMessage
from services.people.actors import Actor
from services.people.identity import Person
from services.sms import messages_to
from tests import factories

BIRTH = "621027-BM-004"  # its cases are told to the 卫健局's system as well as by SMS
STAFF = Actor("staff", 1, "城关镇窗口 李娜")


class Clock:
    """The outbox's clock, moved by the test a minute at a time."""

    def __init__(self):
        self.now = outbox.utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)


class Outage:
    """A sender that fails while down, as an unreachable gateway does, and otherwise passes each
    message on to the real one, counting what it delivered."""

    def __init__(self, sender):
        self.sender, self.down, self.delivered = sender, True, Counter()

    def send(self, recipient, payload, key):
        if self.down:
            raise ConnectionError("网关无法连接")
        answer = self.sender.send(recipient, payload, key)
        self.delivered[key] += 1
        return answer


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(outbox, "utcnow", clock)
    return clock


@pytest.fixture
def down(app, monkeypatch):
    """The SMS gateway and the department systems, both down until told otherwise."""
    senders = app.extensions["senders"]
    outages = {channel: Outage(senders[channel]) for channel in ("sms", "department")}
    for channel, outage in outages.items():
        monkeypatch.setitem(senders, channel, outage)
    return outages


def worker_pass(app) -> None:
    """What `flask worker` does each time round, until the outbox has nothing ready."""
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exception is None, result.output


def statuses() -> Counter:
    return Counter(db.session.scalars(select(OutboxMessage.status)))


def people(n: int) -> list[int]:
    return [factories.person(f"1390000{i:04d}", "张桂兰", seq=f"{i + 100:03d}").id for i in range(n)]


def test_an_hour_without_sms_and_department_loses_nothing_and_sends_each_once(app, catalog, clock, down):
    with app.app_context():
        applicants = people(6)
        submitted: list[int] = []
        for minute in range(60):  # the hour both are down; the worker goes round every minute
            if minute % 10 == 0:
                person = db.session.get(Person, applicants[minute // 10])
                submitted.append(submit_case(catalog.get(BIRTH), person, {"wife_name": person.name},
                                             factories.key()).id)
            if minute % 10 == 5:  # the window accepts and decides the case submitted 5 minutes ago
                case = db.session.get(Case, submitted[-1])
                act(case, "accept", STAFF)
                act(case, "complete", STAFF, data={"decision": "approved"})
            worker_pass(app)
            clock.advance()
        # 6 cases, 3 events each, each event an SMS and a notice to the department's system.
        assert statuses() == {"pending": 36}  # none dropped, none given up
        tried = db.session.scalars(select(OutboxMessage.attempts)).all()
        assert max(tried) > outbox.MAX_ATTEMPTS  # tried all along, more often than a give-up would allow

        down["sms"].down = down["department"].down = False
        for minutes_back in range(1, 60):
            worker_pass(app)
            if statuses() == {"sent": 36}:
                break
            clock.advance()
        assert minutes_back <= MAX_PAUSE / timedelta(minutes=1) + 1  # within the longest pause of a try
        keys = set(db.session.scalars(select(OutboxMessage.dedupe_key)))
        delivered = down["sms"].delivered + down["department"].delivered
        assert set(delivered) == keys and set(delivered.values()) == {1}  # every message, each once
        worker_pass(app)
        assert sum(down["sms"].delivered.values()) == 18 and sum(down["department"].delivered.values()) == 18
        assert [len(messages_to(db.session.get(Person, a).phone)) for a in applicants] == [3] * 6


def test_a_message_is_given_up_only_after_days_of_tries(app, catalog, clock, down):
    with app.app_context():
        person = factories.person()
        submit_case(catalog.get(BIRTH), person, {"wife_name": person.name}, factories.key())
        for _ in range(outbox.MAX_ATTEMPTS + 1):
            outbox.drain(app.extensions["senders"])
            clock.advance(10)
        assert statuses() == {"pending": 2}  # six tries within the hour: not enough to give up
        clock.now += outbox.KEEP_TRYING
        outbox.drain(app.extensions["senders"])
        assert statuses() == {"failed": 2}  # three days on, still unreachable: the console shows it
