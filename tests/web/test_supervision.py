"""督查: the supervision page's figures equal counts made here, independently, over the cases the
test made; every table downloads as CSV that Excel opens (UTF-8 with BOM) with its columns."""
import csv
import html
import io
import random
import re
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from extensions import db
from services.cases.lifecycle import Case, act, submit_case
from services.cases.ratings import rate
from services.clock import today
from services.people.actors import Actor
from services.places import township_id_by_name
from tests import factories
from tests.web.test_office import login, staff  # noqa: F401  (the staff fixture)

pytestmark = pytest.mark.usefixtures("staff")
ITEMS = ["621027-BM-005", "621027-BM-006", "621027-BM-008", "621027-BM-009"]
TOWNS = ["城关镇", "屯字镇", "新集乡"]
STAFF = Actor("staff", 1, "李娜", role="admin")
ROUTES = {"submitted": [], "accepted": ["accept"], "reviewing": ["accept", "review"],
          "supplement": ["accept", "supplement"], "completed": ["accept", "complete"],
          "not_accepted": ["reject"], "withdrawn": ["withdraw"]}
PERIOD = "start=2026-09-01&end={today}&base_start=2025-09-01&base_end=2025-11-30"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _csv(client, name: str, query: str = "") -> list[list[str]]:
    response = client.get(f"/office/supervision/{name}.csv" + (f"?{query}" if query else ""))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.fixture
def made(app, catalog):
    """Forty cases in every state, some overdue, the done ones rated: what each one is."""
    rng, rows = random.Random(5), []
    with app.app_context():
        for i in range(40):
            person = factories.person(f"1370000{i:04d}", "张桂兰", birth=f"19{40 + i}0101", seq=f"{i:03d}")
            code, town, status = rng.choice(ITEMS), rng.choice(TOWNS), rng.choice(list(ROUTES))
            case = submit_case(catalog.get(code), person, {}, factories.key(), township_id=township_id_by_name(town))
            for step in ROUTES[status]:
                if step == "complete" and catalog.get(code).forwarded:  # 低保: the township forwards it first
                    act(case, "forward", STAFF)
                actor = Actor("citizen", person.id, person.name) if step == "withdraw" else STAFF
                data = {"decision": "approved"} if step == "complete" else (
                    {"materials": [catalog.get(code).required_materials[0].key]} if step == "supplement" else {})
                act(case, step, actor, note="材料不全" if step == "reject" else "", data=data)
            late = status in ("accepted", "reviewing") and rng.random() < 0.6
            if late:
                db.session.execute(update(Case).where(Case.id == case.id).values(due_on=today() - timedelta(days=1)))
                db.session.commit()
            level = None
            if status == "completed":
                level = rng.randint(1, 5)
                rate(case, Actor("citizen", person.id, person.name), level, {}, "不满意的地方" if level <= 2 else "")
            rows.append({"status": status, "department": case.department, "town": town, "late": late,
                         "level": level, "item": catalog.get(code).display_name})
    return rows


def _table(page: str, caption: str) -> dict[str, list[str]]:
    """The rows of the page's table with this caption: first cell -> the other cells."""
    body = re.search(rf"<caption>{re.escape(caption)}.*?<tbody>(.*?)</tbody>", page, re.S).group(1)
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        rows[cells[0]] = cells[1:]
    return rows


def test_figures_equal_counts_made_independently(app, catalog, made):
    supervisor = login(app, "ducha")
    page = text(supervisor.get("/office/supervision"))
    # Cases by status (all were submitted today, in the last 90 days).
    statuses = Counter(r["status"] for r in made)
    shown = _table(page, "办件状态（本期提交）")
    names = {"submitted": "已提交，等待受理", "accepted": "已受理", "reviewing": "审查中", "supplement": "需要补正材料",
             "completed": "已办结", "not_accepted": "不予受理", "withdrawn": "已撤回"}
    for status, name in names.items():
        assert shown[name] == [str(statuses[status])], name
    # Overdue, by department and by township, of the cases open now.
    open_rows = [r for r in made if r["status"] in ("submitted", "accepted", "reviewing", "supplement")]
    for caption, key in (("超期办件（按部门，当前）", "department"), ("超期办件（按乡镇，当前）", "town")):
        shown = _table(page, caption)
        expected = {k: [str(sum(1 for r in open_rows if r[key] == k)), str(sum(1 for r in open_rows if r[key] == k and r["late"]))]
                    for k in {r[key] for r in open_rows}}
        assert shown == expected, caption
    # Ratings by department, by level; the 差评 each opened a rectification, listed.
    rated = [r for r in made if r["level"]]
    shown = _table(page, "好差评（按部门，本期）")
    for department in {r["department"] for r in rated}:
        mine = [r["level"] for r in rated if r["department"] == department]
        assert shown[department][:6] == [str(len(mine))] + [str(mine.count(level)) for level in (5, 4, 3, 2, 1)]
        assert shown[department][-1] == str(sum(1 for level in mine if level <= 2))
    fixes = _table(page, "未办结的差评整改")
    bad = [r for r in rated if r["level"] <= 2]
    assert bad and len(fixes) == len(bad)
    # The share of items fully online, counted from the catalog here.
    items = [i for i in catalog.items if i.section != "special"]
    online = sum(1 for i in items if i.visits == 0 and "online" in i.channels)
    assert f"全程网办事项占比：{round(100 * online / len(items), 1)}%（{online}/{len(items)} 项）" in page
    # The same figures as CSV, with their columns.
    rows = _csv(supervisor, "status")
    assert rows[0] == ["状态", "办件数"] and dict(rows[1:])["已撤回"] == str(statuses["withdrawn"])
    assert _csv(supervisor, "ratings_department")[0] == [
        "部门", "评价数", "非常满意", "满意", "基本满意", "不满意", "非常不满意", "满意率%", "差评"]
    assert _csv(supervisor, "rectifications")[0][:6] == ["办件编号", "事项", "承办部门", "评价", "开始", "答复期限"]
    for name in ("online", "overdue_department", "overdue_township", "efficiency", "ratings_item"):
        assert len(_csv(supervisor, name)[0]) >= 3


def test_working_days_to_completion_against_a_baseline(app, catalog):
    """高龄津贴: this year 4 and 9 working days, last year 9 and 10 — 6.5 against 9.5, 31.6 % faster."""
    with app.app_context():
        person = factories.person()
        for accepted, done in ((date(2026, 11, 2), date(2026, 11, 6)), (date(2026, 11, 2), date(2026, 11, 13)),
                               (date(2025, 11, 3), date(2025, 11, 14)), (date(2025, 11, 3), date(2025, 11, 17))):
            case = submit_case(catalog.get("621027-BM-005"), person, {}, factories.key())
            act(case, "accept", STAFF, today=accepted)
            act(case, "complete", STAFF, data={"decision": "approved"}, today=done)
    supervisor = login(app, "ducha")
    query = PERIOD.format(today=today().isoformat())
    page = text(supervisor.get("/office/supervision?" + query))
    row = _table(page, "受理到办结平均用时（工作日，补正期间不计）")["高龄津贴申请"]
    assert row == ["2", "6.5", "2", "9.5", "31.6", "是"]
    assert "办理效率：本期比基期提速 31.6%" in page
    rows = _csv(supervisor, "efficiency", query)
    assert rows[0] == ["事项", "本期办结", "本期平均", "基期办结", "基期平均", "提速%", "达到15%"]
    assert ["高龄津贴申请", "2", "6.5", "2", "9.5", "31.6", "是"] in rows


def test_a_bad_period_is_refused_next_to_its_field_and_only_supervisors_see_the_page(app):
    supervisor = login(app, "ducha")
    response = supervisor.get("/office/supervision?start=2026-11-20&end=2026-11-01")
    assert response.status_code == 422 and "开始日期不能晚于结束日期" in text(response)
    assert supervisor.get("/office/supervision?start=not-a-date").status_code == 422
    assert supervisor.get("/office/supervision/nothing.csv").status_code == 404
    # A CSV of a period that is not one is refused, never the default period under its name.
    refused = supervisor.get("/office/supervision/status.csv?start=2026-11-20&end=2026-11-01")
    assert refused.status_code == 422 and "开始日期不能晚于结束日期" in refused.get_data(as_text=True)
    assert supervisor.get("/office/supervision/status.csv").headers["Content-Type"] == "text/csv; charset=utf-8"
    assert supervisor.get("/office/").headers["Location"].endswith("/office/supervision")
    assert login(app, "admin").get("/office/supervision").status_code == 200
    for username in ("chengguan", "minzheng"):
        assert login(app, username).get("/office/supervision").status_code == 403
        assert login(app, username).get("/office/supervision/status.csv").status_code == 403
    assert app.test_client().get("/office/supervision").status_code == 302
