"""The public progress page is cached per case version; every event — a carrier's stage too,
which changes nothing else on the case — must change that version, so no worker's cache
shows old progress."""
from sqlalchemy import select

from extensions import db
from services.cases.lifecycle import Case, act, record_logistics, submit_case
from services.cases.tracking import version_by_token
from services.people.actors import Actor
from tests import factories

STAFF = Actor("staff", 1, "城关镇窗口 李娜")


def test_every_event_changes_the_key_cached_pages_are_kept_under(app, catalog):
    with app.app_context():
        case = submit_case(catalog.get("621027-BM-008"), factories.person(), {}, factories.key())
        versions = [version_by_token(case.number, case.track_token)[1]]
        for action, data in (("accept", None), ("complete", {"decision": "approved"})):
            act(case, action, STAFF, data=data)
            versions.append(version_by_token(case.number, case.track_token)[1])
        record_logistics(case.id, Actor("carrier", None, "演示快递"), "已揽收（演示快递 SBX1）", notify=False)
        db.session.commit()
        versions.append(version_by_token(case.number, case.track_token)[1])
    assert len(set(versions)) == len(versions)


def test_a_carrier_stage_reaches_a_page_already_cached_by_every_worker(app, catalog, monkeypatch):
    from pwa import track

    with app.app_context():
        case = submit_case(catalog.get("621027-BM-008"), factories.person(), {}, factories.key())
        act(case, "accept", STAFF)
        act(case, "complete", STAFF, data={"decision": "approved"})
        url = f"/t/{case.number}?k={case.track_token}"
        case_id = case.id
    worker_caches = [track.LRU(10), track.LRU(10)]  # what two gunicorn workers hold in memory
    for cache in worker_caches:
        monkeypatch.setattr(track, "_track_pages", cache)
        assert "已揽收" not in app.test_client().get(url).get_data(as_text=True)
    with app.app_context():  # the outbox worker records the carrier's stage
        record_logistics(case_id, Actor("carrier", None, "演示快递"), "已揽收（演示快递 SBX1）", notify=False)
        db.session.commit()
    for cache in worker_caches:
        monkeypatch.setattr(track, "_track_pages", cache)
        assert "已揽收" in app.test_client().get(url).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Case.last_event_at)) is not None


def test_the_public_page_never_opens_a_sealed_value(app, catalog, monkeypatch):
    """Its applicant's ID number, phone and answers are not shown there: not even decrypted."""
    from services import sealing

    with app.app_context():
        case = submit_case(catalog.get("621027-BM-008"), factories.person(), {}, factories.key())
        db.session.commit()
        url = f"/t/{case.number}?k={case.track_token}"
    opened = []
    real_open = sealing.open_sealed
    monkeypatch.setattr(sealing, "open_sealed", lambda *a, **k: opened.append(a) or real_open(*a, **k))
    page = app.test_client().get(url)
    assert page.status_code == 200 and "张**" in page.get_data(as_text=True) and opened == []


def test_a_first_view_reads_the_case_its_events_and_its_township_in_one_statement_without_a_transaction(app, catalog, monkeypatch):
    """Every first view of a case (each scan of another receipt) pays for its reads: one, beside the
    version's (services.hot_reads, by the driver's own cursor)."""
    from sqlalchemy import event

    from pwa import track
    from services.places import township_id_by_name

    with app.app_context():
        case = submit_case(catalog.get("621027-BM-008"), factories.person(), {}, factories.key(),
                           township_id=township_id_by_name("屯字镇"))
        act(case, "accept", STAFF)
        act(case, "complete", STAFF, data={"decision": "approved"})
        url = f"/t/{case.number}?k={case.track_token}"
        engine = db.engine
    monkeypatch.setattr(track, "_track_pages", track.LRU(10))
    statements, in_transaction = [], []
    listener = lambda conn, cursor, statement, *rest: statements.append(statement)  # noqa: E731

    def after(conn, cursor, statement, *rest):  # a BEGIN sent first leaves the driver in a transaction
        driver = conn.connection.dbapi_connection
        info = getattr(driver, "info", None)  # psycopg's; sqlite3 says it itself
        in_transaction.append(info.transaction_status != 0 if hasattr(info, "transaction_status")
                              else driver.in_transaction)

    event.listen(engine, "before_cursor_execute", listener)
    event.listen(engine, "after_cursor_execute", after)
    try:
        page = app.test_client().get(url).get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
        event.remove(engine, "after_cursor_execute", after)
    assert all(text in page for text in ("屯字镇", "提交申请", "已受理", "办结：准予"))
    assert len(statements) == 1, statements
    assert in_transaction == [False]  # on PostgreSQL a BEGIN and a ROLLBACK would be two round trips


def test_a_progress_page_read_again_is_sent_as_kept_compressed_bytes(app, catalog, monkeypatch):
    """Every phone asks for br or gzip: a page kept for its case's version keeps each compressed
    form too, made once, and both decode to the very page sent to a browser that takes neither."""
    import gzip

    import brotli

    from pwa import track
    from web import pagecache

    with app.app_context():
        case = submit_case(catalog.get("621027-BM-008"), factories.person(), {}, factories.key())
        db.session.commit()
        url = f"/t/{case.number}?k={case.track_token}"
    monkeypatch.setattr(track, "_track_pages", track.LRU(10))
    made = []
    real_encode = pagecache.encode
    monkeypatch.setattr(pagecache, "encode", lambda *a, **k: made.append(a[1]) or real_encode(*a, **k))
    client = app.test_client()
    plain = client.get(url)
    answers = [client.get(url, headers={"Accept-Encoding": accept})
               for accept in ("gzip, deflate, br", "gzip, deflate, br", "gzip", "gzip")]
    assert [a.headers["Content-Encoding"] for a in answers] == ["br", "br", "gzip", "gzip"]
    assert made == ["br", "gzip"]
    assert all(brotli.decompress(a.data) == plain.data for a in answers[:2])
    assert all(gzip.decompress(a.data) == plain.data for a in answers[2:])
    assert "Content-Encoding" not in plain.headers and "提交申请" in plain.get_data(as_text=True)
    assert all(a.headers["Cache-Control"] == "no-store" and {"Accept-Encoding", "Cookie"} <= set(a.headers["Vary"].split(", "))
               for a in [plain, *answers])
