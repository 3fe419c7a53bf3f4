"""Bulk-load COUNT cases with their events into the migrated, seeded database DATABASE_URL names:
COPY on PostgreSQL (then VACUUM ANALYZE), executemany on SQLite. The rows are those the app
itself would have written: numbers with their daily sequence and check digit, tokens, answers to
the item's form, statuses reached through legal transitions on working days (the official
calendar), the events that got them there, the daily counters and the id sequences after them;
ID numbers, phones and answers sealed and blind-indexed as the models do (services/sealing.py).

Two years of a county: a quarter of the cases at 城关镇's window, the rest spread over the 18 other
townships; weekdays busier than weekends; six convenience items; done when old, open when recent, some late,
rejected, withdrawn or sent back for 补正.

Run as a script, since the app reads its configuration at import: python bench/_bulk.py COUNT SAMPLE;
SAMPLE is a file it writes: 20,000 of the cases spread over all, "number<TAB>track token<TAB>last 4
digits of the applicant's ID number" a line (what a visitor knows; sealed in the database)."""
import json
import random
import secrets
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DAYS = 730
CHUNK = 20_000
ITEMS = {"621027-BM-008": 30, "621027-BM-005": 20, "621027-BM-006": 15, "621027-BM-004": 15,
         "621027-BM-009": 10, "621027-BM-007": 10}
SURNAMES = "张王李赵刘陈杨马周吴胡郭何高罗"
GIVEN = ["桂兰", "建国", "秀英", "志强", "玉梅", "德明", "春花", "海军", "淑芬", "永红", "小燕", "振华"]
STAFF = ["李娜", "杨志刚", "马小红", "张卫东", "王建华"]
CASE_COLUMNS = (
    "id", "number", "track_token", "idempotency_key", "item_code", "item_name", "department", "township_id",
    "applicant_id", "applicant_name", "applicant_id_number", "applicant_phone", "actor_kind", "actor_id", "level",
    "answers", "status", "decision", "promised_days", "submitted_at", "accepted_on", "clock_started_on",
    "workdays_used", "due_on", "due_estimated", "completed_at", "completed_on", "delivered_at", "last_event_at",
    "version")
EVENT_COLUMNS = ("id", "case_id", "at", "action", "from_status", "to_status", "actor_kind", "actor_id",
                 "actor_name", "note", "data")
PERSON_COLUMNS = ("id", "phone", "phone_index", "name", "id_number", "id_number_index", "verified_at", "verified_via",
                  "elder_offered", "created_at")


def sealer(table: str, column: str, keys):
    """The column's value as the app stores it: sealed under its purpose when the model seals it."""
    from extensions import db
    from services.sealing import seal

    purpose = getattr(db.metadata.tables[table].c[column].type, "purpose", None)
    return (lambda value: value) if purpose is None else (lambda value: seal(value, purpose, keys))


def people(first_id: int, count: int, created: datetime, keys) -> tuple[list, list]:
    """Verified villagers with unique phones (135…) and valid ID numbers (region 621027: the demo
    people are 622827): (their rows, what their cases copy of them, sealed for the cases' columns)."""
    from stdnum.cn import ric

    from services.sealing import blind

    seal = {c: sealer(t, c, keys) for t, c in (("persons", "phone"), ("persons", "id_number"))}
    seal_case = {c: sealer("cases", f"applicant_{c}", keys) for c in ("phone", "id_number")}
    rows, applicants = [], []
    for i in range(count):
        birth = date(1940, 1, 1) + timedelta(days=i % 23_000)
        body = f"621027{birth:%Y%m%d}{i // 23_000:03d}"
        phone, id_number, name = f"135{i:08d}", body + ric.calc_check_digit(body + "0"), SURNAMES[i % 15] + GIVEN[i // 15 % 12]
        rows.append((first_id + i, seal["phone"](phone), blind(phone, "phone", keys), name, seal["id_number"](id_number),
                     blind(id_number, "id_number", keys), created, "typed", False, created))
        applicants.append(SimpleNamespace(id=first_id + i, name=name, phone=phone, id_number=id_number,
                                          sealed_phone=seal_case["phone"](phone),
                                          sealed_id_number=seal_case["id_number"](id_number)))
    return rows, applicants


class Simulator:
    """One case's life, from its submission to where it is today, as rows."""

    def __init__(self, catalog, calendar, today: date, now: datetime, rng: random.Random, keys):
        from services.cases.supplements import default_note
        from services.clock import CHINA

        self.catalog, self.calendar, self.today, self.now, self.rng, self.china = catalog, calendar, today, now, rng, CHINA
        self.items = [catalog.get(code) for code in ITEMS]
        self.material = {i.code: next(m.key for m in i.materials if not m.waived) for i in self.items}
        self.note = {i.code: default_note(i, [self.material[i.code]]) for i in self.items}
        for name in ("is_workday", "is_official"):  # a day's answer is looked up once, not per case
            setattr(calendar, name, lru_cache(None)(getattr(calendar, name)))
        self.add_workdays = lru_cache(None)(calendar.add_workdays)
        self.workdays_between = lru_cache(None)(calendar.workdays_between)
        self.opening = {}  # day -> 08:30 China time that day, in UTC
        self.seal_answers = sealer("cases", "answers", keys)

    def moment(self, day: date, after: datetime | None = None) -> datetime:
        """A moment in office hours that day (China time, stored UTC), after the one before."""
        if day not in self.opening:
            self.opening[day] = datetime.combine(day, clock_time(8, 30), self.china).astimezone(UTC)
        at = self.opening[day] + timedelta(seconds=self.rng.randrange(32_400))
        return at if after is None or at > after else after + timedelta(minutes=self.rng.randint(5, 90))

    def case(self, case_id: int, number: str, submitted: datetime, item, person, township_id: int, next_event: int):
        """(case row, event rows) for a case submitted at that moment."""
        from services.cases.demo import _answers

        rng, day = self.rng, submitted.astimezone(self.china).date()
        c = {"status": "submitted", "decision": None, "level": item.accepts or None, "accepted_on": None,
             "clock_started_on": None, "workdays_used": 0, "due_on": None, "due_estimated": False,
             "completed_at": None, "completed_on": None, "delivered_at": None}
        events, answers = [], _answers(item, person, day)
        citizen = ("citizen", person.id, person.name)

        def event(action, to, at, who=None, note="", data=None):
            who = who or ("staff", None, rng.choice(STAFF))
            events.append((next_event + len(events), case_id, at, action, c["status"] if events else None, to,
                           *who, note, json.dumps(data, ensure_ascii=False) if data else "{}"))
            c["status"] = to
            return at

        at = event("submit", "submitted", submitted, citizen)
        fate = rng.random()
        if fate < 0.02:  # withdrawn within hours, if those hours have passed
            withdrawn = at + timedelta(minutes=rng.randint(10, 180))
            if withdrawn < self.now:
                event("withdraw", "withdrawn", withdrawn, citizen)
                c.update(completed_at=withdrawn, completed_on=withdrawn.astimezone(self.china).date())
            return self.row(c, case_id, number, submitted, item, person, township_id, answers), events
        accepted = self.add_workdays(day, 1)[0]
        if accepted < self.today and fate < 0.05:
            at = event("reject", "not_accepted", self.moment(accepted, at), note="申请人不在本乡镇户籍，请到户籍所在地乡镇申请")
            c.update(completed_at=at, completed_on=accepted)
        elif accepted < self.today:
            at = event("accept", "accepted", self.moment(accepted, at))
            c.update(accepted_on=accepted, clock_started_on=accepted)
            self.start_clock(c, item, accepted)
            self.progress(c, item, accepted, at, event, citizen)
        return self.row(c, case_id, number, submitted, item, person, township_id, answers), events

    def progress(self, c, item, accepted: date, at: datetime, event, citizen) -> None:
        """From acceptance: perhaps 补正 and back, review (or forward to the county), 办结, 送达."""
        rng, today = self.rng, self.today
        if rng.random() < 0.1:  # 补正: the clock pauses until the materials come
            asked = self.add_workdays(accepted, 2)[0]
            if asked >= today:
                return
            at = event("supplement", "supplement", self.moment(asked, at), note=self.note[item.code],
                       data={"materials": [self.material[item.code]]})
            c.update(workdays_used=self.workdays_between(c["clock_started_on"], asked), due_on=None)
            back = asked + timedelta(days=rng.randint(1, 6))
            if back >= today:
                return
            at = event("resubmit", "accepted", self.moment(back, at), citizen)
            c["clock_started_on"] = back
            self.start_clock(c, item, back)
        start = c["clock_started_on"]
        if item.forwarded:
            at = event("forward", "reviewing", self.moment(start, at), note="经入户调查和民主评议，符合条件，报县级审批")
            c["level"] = "county"
        else:
            at = event("review", "reviewing", self.moment(start, at))
        late = rng.random() < 0.15
        spent = item.promised_days + rng.randint(1, 5) if late else rng.randint(0, max(item.promised_days - 1, 0))
        done = self.add_workdays(start, max(spent - c["workdays_used"], 0))[0]
        if done >= today:
            return
        approved = rng.random() < 0.92
        at = event("complete", "completed", self.moment(done, at), note="" if approved else "经审核，不符合申请条件",
                   data={"decision": "approved" if approved else "denied"})
        c.update(decision="approved" if approved else "denied", completed_at=at, completed_on=done,
                 workdays_used=c["workdays_used"] + self.workdays_between(start, done))
        handed = self.add_workdays(done, 2)[0]
        if handed < today and rng.random() < 0.85:
            c["delivered_at"] = event("deliver", "delivered", self.moment(handed, at), data={"method": item.delivery[0]})

    def start_clock(self, c, item, day: date) -> None:
        c["due_on"], c["due_estimated"] = self.add_workdays(day, max(item.promised_days - c["workdays_used"], 0))

    def row(self, c, case_id, number, submitted, item, person, township_id, answers):
        return (case_id, number, secrets.token_urlsafe(32), secrets.token_hex(16), item.code, item.name,
                item.department, township_id, person.id, person.name, person.sealed_id_number, person.sealed_phone,
                "citizen", person.id, c["level"], self.seal_answers(json.dumps(answers, ensure_ascii=False)),
                c["status"], c["decision"],
                item.promised_days, submitted, c["accepted_on"], c["clock_started_on"], c["workdays_used"], c["due_on"], c["due_estimated"],
                c["completed_at"], c["completed_on"], c["delivered_at"], None, None)


def submissions(count: int, today: date, now: datetime, calendar, rng: random.Random) -> list[datetime]:
    """When the cases came in, oldest first: two years, weekdays busier, today only until now."""
    from services.clock import CHINA

    days = [today - timedelta(days=n) for n in range(DAYS)]
    weights = [1.0 if calendar.is_workday(d) else 0.25 for d in days]
    moments = []
    for day in rng.choices(days, weights, k=count):
        start = datetime.combine(day, clock_time(8, 0), CHINA)
        at = start + timedelta(seconds=rng.randrange(36_000))
        if at >= now:  # today, later than now: earlier today instead
            at = start - timedelta(seconds=rng.randrange(8 * 3600))
        moments.append(at.astimezone(UTC))
    moments.sort()
    return moments


class Writer:
    """Rows into the tables: COPY on PostgreSQL; on SQLite executemany, values stored as SQLAlchemy
    stores them (UTC times as text). Indexes and constraints of the two big tables are
    dropped for the load and made again after it: one sort each instead of a million inserts."""

    def __init__(self, url):
        self.postgres = url.get_backend_name() == "postgresql"
        if self.postgres:
            import psycopg

            self.conn = psycopg.connect(url.set(drivername="postgresql").render_as_string(False))
        else:
            import sqlite3

            self.conn = sqlite3.connect(url.database)
            self.conn.execute("PRAGMA synchronous=OFF")
        self.remake = self._drop_indexes()

    def _drop_indexes(self) -> list[str]:
        """Drops the secondary indexes (and on PostgreSQL the unique and foreign-key constraints) of
        cases and case_events; returns the statements that make them again, as the migrations left them."""
        if self.postgres:
            constraints = self.sql(
                "SELECT conrelid::regclass, conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE contype IN ('u', 'f') "
                "AND conrelid IN ('cases'::regclass, 'case_events'::regclass) ORDER BY contype DESC").fetchall()
            indexes = self.sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('cases', 'case_events') "
                               "AND indexname NOT IN (SELECT conname FROM pg_constraint)").fetchall()
            for table, name, _ in constraints:
                self.sql(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            remake = [d for _, d in indexes] + [f"ALTER TABLE {t} ADD CONSTRAINT {n} {d}" for t, n, d in constraints]
        else:  # a UNIQUE written in the table stays: SQLite cannot drop it
            indexes = self.sql("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                               "AND tbl_name IN ('cases', 'case_events')").fetchall()
            remake = [d for _, d in indexes]
        for name, _ in indexes:
            self.sql(f"DROP INDEX {name}")
        self.conn.commit()
        return remake

    def write(self, table: str, columns: tuple, rows: list) -> None:
        if self.postgres:
            with self.conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            convert = [_SQLITE.get(c) for c in columns]
            self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                                  [tuple(v if f is None or v is None else f(v) for f, v in zip(convert, row)) for row in rows])

    def sql(self, statement: str):
        return self.conn.execute(statement)

    def finish(self) -> None:
        """Indexes and constraints back, id sequences past our rows, statistics."""
        for statement in self.remake:
            self.sql(statement)
        self.conn.commit()
        if self.postgres:
            for table in ("persons", "cases", "case_events"):  # new rows the app inserts follow ours
                self.sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
            self.conn.commit()
            self.conn.autocommit = True
            self.sql("VACUUM (ANALYZE)")  # and autovacuum has nothing left to do mid-benchmark
            self.sql("CHECKPOINT")
        else:
            self.sql("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_SQLITE = {**dict.fromkeys(("submitted_at", "completed_at", "delivered_at", "last_event_at", "at", "verified_at",
                            "created_at"), _utc_text),
           **dict.fromkeys(("accepted_on", "clock_started_on", "due_on", "completed_on", "day"), date.isoformat)}


def load(app, count: int, sample: Path) -> None:
    from stdnum.iso7064 import mod_11_2

    from extensions import db
    from services.clock import CHINA
    from services.places import township_choices
    from services.registry import registry
    from services.workdays import load_calendar

    started, rng = time.perf_counter(), random.Random(2026)
    with app.app_context():
        catalog, calendar, keys = app.extensions["catalog"], load_calendar(), registry().keys
        now = datetime.now(UTC)
        today = now.astimezone(CHINA).date()
        townships = township_choices()
        township_weights = [6 if name == "城关镇" else 1 for _, name in townships]
        townships = [tid for tid, _ in townships]
        db.session.remove()  # its transaction would hold the locks the writer's ALTER TABLE waits for
        writer = Writer(db.engine.url)
        first_person, first_case, first_event = (
            writer.sql(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0] + 1 for t in ("persons", "cases", "case_events"))
        counters = dict(writer.sql("SELECT day, last FROM case_counters").fetchall())
        counters = {(d if isinstance(d, date) else date.fromisoformat(d)): n for d, n in counters.items()}

        rows, applicants = people(first_person, max(count // 4, 1), now - timedelta(days=DAYS + 30), keys)
        for i in range(0, len(rows), CHUNK):
            writer.write("persons", PERSON_COLUMNS, rows[i:i + CHUNK])

        sim = Simulator(catalog, calendar, today, now, rng, keys)
        items = [catalog.get(code) for code in ITEMS]
        moments = submissions(count, today, now, calendar, rng)
        drawn = zip(moments, rng.choices(items, list(ITEMS.values()), k=count),
                    rng.choices(townships, township_weights, k=count))
        event_id, cases, events, known, every = first_event, [], [], [], max(count // 20_000, 1)
        for n, (submitted, item, township_id) in enumerate(drawn):
            day = submitted.astimezone(CHINA).date()
            counters[day] = counters.get(day, 0) + 1
            digits = f"{day:%y%m%d}{counters[day]:05d}"
            person = applicants[rng.randrange(len(applicants))]
            case, case_events = sim.case(first_case + n, f"ZY{digits}{mod_11_2.calc_check_digit(digits)}", submitted,
                                         item, person, township_id, event_id)
            if n % every == 0:
                known.append(f"{case[1]}\t{case[2]}\t{person.id_number[-4:]}\n")
            event_id += len(case_events)
            cases.append(case[:-2] + (case_events[-1][2], 1 + len(case_events)))  # last_event_at, version
            events += case_events
            if len(cases) == CHUNK or n == count - 1:
                writer.write("cases", CASE_COLUMNS, cases)
                writer.write("case_events", EVENT_COLUMNS, events)
                writer.conn.commit()
                cases, events = [], []
        writer.sql("DELETE FROM case_counters")
        writer.write("case_counters", ("day", "last"), sorted(counters.items()))
        sample.write_text("".join(known))
        loaded = time.perf_counter() - started
        writer.finish()
    print(f"{count:,} cases, {event_id - first_event:,} events, {len(applicants):,} people: written in {loaded:.0f} s, "
          f"then {time.perf_counter() - started - loaded:.0f} s for indexes and constraints"
          f"{' and VACUUM ANALYZE' if writer.postgres else ''}", flush=True)


if __name__ == "__main__":
    from wsgi import create_app

    load(create_app(), int(sys.argv[1]), Path(sys.argv[2]))
