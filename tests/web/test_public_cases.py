"""办件公示: public, masked, filtered and paged; never a phone, an ID number or a full name."""
import random
import re
from datetime import date, timedelta

from sqlalchemy import select, update

from extensions import db
from services.cases.lifecycle import Case, act, submit_case
from services.clock import utcnow
from services.people.actors import Actor
from services.places import Township
from tests import factories

STAFF = Actor("staff", 1, "城关镇窗口 李娜")
LISTED = ["621027-BM-005", "621027-BM-006", "621027-BM-008", "621027-BM-009"]  # 民政, 公安, 乡镇
CONFIDENTIAL = ["621027-BM-004", "621027-BM-007"]  # 生育登记, 残疾人证
SURNAMES = ["张", "王", "李", "欧阳", "司马", "上官", "马", "阿卜杜", "买买提"]
GIVEN = "桂兰秀英建国德明䶮𠈌热合曼娜春花依明艾力古丽"
ROW_RE = re.compile(r'<li class="item-row public-case">(.*?)</li>', re.S)


def _name(rng: random.Random) -> str:
    surname = rng.choice(SURNAMES)
    given = "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 3)))
    return f"{surname}·{given}" if len(surname) == 3 else surname + given


def _make(catalog, n: int, township_names: list[str], rng: random.Random) -> list[Case]:
    townships = [db.session.scalar(select(Township.id).where(Township.name == t)) for t in township_names]
    cases = []
    for i in range(n):
        phone = f"139{i:08d}"
        person = factories.person(phone, _name(rng), birth=f"19{50 + i % 40}0{1 + i % 9}1{i % 9}", seq=f"{i % 1000:03d}")
        code = rng.choice(LISTED + CONFIDENTIAL)
        case = submit_case(catalog.get(code), person, {"phone": phone}, factories.key(),
                           township_id=townships[i % len(townships)])
        for step in rng.choice([[], ["accept"], ["accept", "complete"], ["withdraw"], ["reject"]]):
            if step == "complete" and catalog.get(code).forwarded:  # 低保: the township forwards it first
                act(case, "forward", STAFF)
            data = {"decision": "approved"} if step == "complete" else {}
            act(case, step, STAFF if step != "withdraw" else Actor("citizen", person.id, person.name),
                note="材料不全" if step == "reject" else "", data=data)
        cases.append(case)
    return cases


def _pages(client, url: str) -> list[str]:
    """Every page of the list, following 更早的办件 to the end."""
    pages = []
    while url:
        html = client.get(url).get_data(as_text=True)
        pages.append(html)
        older = re.search(r'href="([^"]*before=\d+[^"]*)"', html)
        url = older.group(1).replace("&amp;", "&") if older else None
    return pages


def test_the_list_never_shows_a_phone_an_id_number_or_a_full_name(app, client, catalog):
    with app.app_context():
        cases = _make(catalog, 70, ["城关镇", "屯字镇"], random.Random(7))
        people = [(c.applicant_name, c.applicant_id_number, c.applicant_phone, c.number, c.item_code, c.status)
                  for c in cases]
    pages = _pages(client, "/public-cases")
    html = "".join(pages)
    applicants = dict(re.findall(r"(ZY\d{11}[0-9X]) · 申请人 (\S+) ·", html))
    for name, id_number, phone, number, code, status in people:
        assert id_number not in html and id_number[-6:] not in html and phone not in html and name not in html
        listed = code in LISTED and status != "withdrawn"
        assert (number in applicants) == listed, (number, code, status)
        if listed:  # the family name, then a star for every other character (the middle dot kept)
            surname = name.split("·")[0][:1] if "·" in name else name[:2] if name[:2] in ("欧阳", "司马", "上官") else name[0]
            rest = name[len(surname):]
            assert applicants[number] == surname + "".join("·" if c == "·" else "*" for c in rest), name
    assert all(len(ROW_RE.findall(p)) <= 20 for p in pages) and len(pages) >= 2


def test_masked_names_keep_only_the_family_name(app, client, catalog):
    with app.app_context():
        for i, name in enumerate(["欧阳娜娜", "阿卜杜·热合曼", "王𠈌"]):
            person = factories.person(f"1380000000{i}", name, seq=f"{i + 1:03d}")
            submit_case(catalog.get("621027-BM-006"), person, {}, factories.key())
    html = client.get("/public-cases").get_data(as_text=True)
    assert "欧阳**" in html and "阿**·***" in html and "王*" in html
    assert "娜娜" not in html and "热合曼" not in html and "𠈌" not in html


def test_filters_by_township_department_and_item_and_pages_both_ways(app, client, catalog):
    with app.app_context():
        cases = _make(catalog, 48, ["城关镇", "屯字镇", "新集乡"], random.Random(3))
        listed = [c for c in cases if c.item_code in LISTED and c.status != "withdrawn"]
        tunzi = db.session.scalar(select(Township.id).where(Township.name == "屯字镇"))
        expected = {
            f"township={tunzi}": {c.number for c in listed if c.township_id == tunzi},
            "department=镇原县民政局": {c.number for c in listed if c.department == "镇原县民政局"},
            "item=621027-BM-008": {c.number for c in listed if c.item_code == "621027-BM-008"},
            f"township={tunzi}&item=621027-BM-006": {c.number for c in listed
                                                        if c.township_id == tunzi and c.item_code == "621027-BM-006"},
        }
    for query, numbers in expected.items():
        assert set(re.findall(r"ZY\d{11}[0-9X]", "".join(_pages(client, "/public-cases?" + query)))) == numbers, query
    # Newest first, 20 a page; 更早 then 较新 comes back to the same page.
    first = client.get("/public-cases").get_data(as_text=True)
    shown = re.findall(r"ZY\d{11}[0-9X]", first)
    assert shown == sorted(c.number for c in listed)[::-1][:20]
    older_url = re.search(r'href="([^"]*before=\d+[^"]*)"', first).group(1).replace("&amp;", "&")
    second = client.get(older_url).get_data(as_text=True)
    newer_url = re.search(r'href="([^"]*after=\d+[^"]*)"', second).group(1).replace("&amp;", "&")
    assert re.findall(r"ZY\d{11}[0-9X]", client.get(newer_url).get_data(as_text=True)) == shown
    # htmx asks for the list alone; nonsense in a filter is ignored, not an error.
    fragment = client.get("/public-cases?department=镇原县民政局", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    for nonsense in ("township=abc", "township=999999", "item=<script>", "before=-1", "after=x", "department=镇"):
        assert client.get("/public-cases?" + nonsense).status_code == 200
    assert client.get("/public-cases?department=%00").status_code == 400  # refused by the app for every page
    raw = client.get("/public-cases", environ_overrides={"QUERY_STRING": "department=\xff\xfe"})
    assert raw.status_code == 400  # bytes that are not UTF-8: refused, the error page itself unharmed
    # A page and its fragment share the address: caches keep them apart.
    assert "HX-Request" in fragment.headers["Vary"] and "HX-Request" in client.get("/public-cases").headers["Vary"]


def test_only_the_last_90_days_and_whether_done_within_the_promised_time(app, client, catalog):
    with app.app_context():
        person = factories.person()
        old, late, on_time, overdue = (submit_case(catalog.get("621027-BM-005"), person, {}, factories.key())
                                       for _ in range(4))
        db.session.execute(update(Case).where(Case.id == old.id).values(submitted_at=utcnow() - timedelta(days=91)))
        db.session.commit()
        # 高龄津贴 promises 10 working days: accepted Monday 2 November 2026.
        for case, done in ((late, date(2026, 11, 20)), (on_time, date(2026, 11, 13)), (overdue, None)):
            act(case, "accept", STAFF, today=date(2026, 11, 2))
            if done:
                act(case, "complete", STAFF, data={"decision": "approved"}, today=done)
        numbers = old.number, late.number, on_time.number, overdue.number
    html = client.get("/public-cases").get_data(as_text=True)
    rows = {re.search(r"ZY\d{11}[0-9X]", r).group(0): r for r in ROW_RE.findall(html)}
    assert numbers[0] not in rows
    assert "超时办结" in rows[numbers[1]] and "2026年11月20日" in rows[numbers[1]]
    assert "按时办结" in rows[numbers[2]] and "受理 2026年11月2日" in rows[numbers[2]]
    assert "已超期" in rows[numbers[3]]


def test_the_list_is_one_of_the_special_services(client):
    assert 'href="/public-cases"' in client.get("/items/621027-ZX-002").get_data(as_text=True)
    assert "办件公示" in client.get("/s/special").get_data(as_text=True)


def test_a_page_kept_in_memory_is_never_stale(app, client, catalog):
    with app.app_context():
        person = factories.person()
        case = submit_case(catalog.get("621027-BM-005"), person, {}, factories.key())
        number, case_id, withdrawer = case.number, case.id, Actor("citizen", person.id, person.name)
    assert number in client.get("/public-cases").get_data(as_text=True)
    assert number in client.get("/public-cases").get_data(as_text=True)  # from memory
    with app.app_context():
        act(db.session.get(Case, case_id), "withdraw", withdrawer)
    assert number not in client.get("/public-cases").get_data(as_text=True)


def test_a_page_kept_in_memory_costs_one_read_and_no_transaction(app, client, catalog):
    """What changed anywhere is read on every view by the driver's own cursor: on PostgreSQL a
    transaction would add a BEGIN and a ROLLBACK, two round trips, to a page already in memory."""
    from sqlalchemy import event

    with app.app_context():
        number = submit_case(catalog.get("621027-BM-005"), factories.person(), {}, factories.key()).number
        db.session.commit()
        engine = db.engine
    assert number in client.get("/public-cases").get_data(as_text=True)
    begun, statements = [], []
    listeners = [("begin", lambda conn: begun.append(conn)),
                 ("before_cursor_execute", lambda conn, cursor, statement, *rest: statements.append(statement))]
    for name, listener in listeners:
        event.listen(engine, name, listener)
    try:
        assert number in client.get("/public-cases").get_data(as_text=True)
    finally:
        for name, listener in listeners:
            event.remove(engine, name, listener)
    assert begun == [] and statements == []


def test_a_page_kept_in_memory_is_compressed_once_per_encoding(app, client, catalog, monkeypatch):
    import gzip

    from web import pagecache

    with app.app_context():
        number = submit_case(catalog.get("621027-BM-005"), factories.person(), {}, factories.key()).number
        db.session.commit()
    made = []
    real_encode = pagecache.encode
    monkeypatch.setattr(pagecache, "encode", lambda *a, **k: made.append(a[1]) or real_encode(*a, **k))
    answers = [client.get("/public-cases", headers={"Accept-Encoding": "gzip"}) for _ in range(3)]
    assert made == ["gzip"] and {a.headers["Content-Encoding"] for a in answers} == {"gzip"}
    assert {"Accept-Encoding", "Cookie"} <= set(answers[0].headers["Vary"].split(", "))  # the 长辈版 cookie
    assert number in gzip.decompress(answers[-1].data).decode()
    assert gzip.decompress(answers[-1].data) == client.get("/public-cases").data


def test_where_the_ninety_days_begin_is_looked_up_once_per_change_and_a_new_case_still_shows(app, client, catalog):
    """The 90 days' first id costs a walk of the window's index (57 ms at 1,000,000 cases): once
    per event anywhere, not for every page; the next case submitted is a change, and listed."""
    from sqlalchemy import event

    with app.app_context():
        _make(catalog, 3, ["城关镇", "屯字镇"], random.Random(3))
        db.session.commit()
        engine = db.engine
    walks = []
    listener = lambda conn, cursor, statement, *rest: "min(" in statement and walks.append(statement)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        for url in ("/public-cases", "/public-cases?department=镇原县民政局", "/public-cases?before=999999"):
            assert client.get(url).status_code == 200
        assert len(walks) == 1
        with app.app_context():
            new = submit_case(catalog.get("621027-BM-008"), factories.person("13900009999"), {"phone": "13900009999"},
                              factories.key())
            db.session.commit()
            number = new.number
        assert number in client.get("/public-cases").get_data(as_text=True) and len(walks) == 2
    finally:
        event.remove(engine, "before_cursor_execute", listener)
