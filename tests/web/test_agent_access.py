"""What an agent may reach: three agents (two in 东关村, one in 屯字村) and three residents — one
consented to each village's agent, one applied alone. Every agent URL, filled with any object
that is not the agent's own (another's consent, case, paper, file), answers 403 or 404 and shows
nothing of it."""
import re
from itertools import product

import pytest
from sqlalchemy import select

from extensions import db
from services.cases.lifecycle import Case, submit_case
from services.cases.materials import Upload
from services.people.consent import Mandate
from services.people.identity import Person, bind_real_name
from services.places import township_id_by_name
from tests.conftest import csrf_token_from, form_post
from tests.factories import id_number, key
from tests.web.test_agent import _apply, _png

VAR = re.compile(r"<(?:\w+(?:\([^>]*\))?:)?(\w+)>")
R1 = ("李䶮", id_number("19400302", "456"), "13900000011")
R2 = ("马秀英", id_number("19380505", "222"), "")
R3 = ("王𠈌", id_number("19390404", "111"), "13900000033")


@pytest.fixture
def world(app, agents):
    east = agents.signed_in("east1", "东关", name="赵红梅")
    east2 = agents.signed_in("east2", "东关", name="刘芳")
    tunzi = agents.signed_in("tunzi1", "屯字", name="王强")
    tunzi2 = agents.signed_in("tunzi2", "屯字", role="committee", name="马德海")
    m1 = agents.consent_by_sms(east, *R1)
    c1 = _apply(east, m1, R1[0], R1[1]).split("/cases/")[1].split("/")[0]
    p1 = form_post(east, f"/agent/r/{m1}/my/{c1}/papers/collect", {"keys": "bank_account"})
    assert p1.status_code == 303
    # R2 has no phone: the paper path, confirmed by 屯字村's committee.
    consent_url = agents.start(tunzi, *R2)
    for kind in ("signature", "letter"):
        form_post(tunzi, consent_url, {"kind": kind, "files": (_png(), "x.png")}, post_url=consent_url + "/evidence",
                  content_type="multipart/form-data")
    form_post(tunzi, consent_url, {}, post_url=consent_url + "/submit")
    m2 = int(consent_url.rsplit("/", 1)[1])
    assert form_post(tunzi2, f"/agent/confirm/{m2}", {"decision": "agree"}).status_code == 303
    c2 = _apply(tunzi, m2, R2[0], R2[1]).split("/cases/")[1].split("/")[0]
    p2 = form_post(tunzi, f"/agent/r/{m2}/my/{c2}/papers/collect", {"keys": "bank_account"})
    with app.app_context():
        # R3 applied alone, at the same township as 东关村.
        person = Person(phone=R3[2])
        db.session.add(person)
        bind_real_name(person, R3[0], R3[1])
        db.session.commit()
        item = app.extensions["catalog"].get("621027-BM-005")
        c3 = submit_case(item, person, {"elder_name": R3[0]}, key(), township_id=township_id_by_name("城关镇")).number
        files = {m.id: [m.signature_key, m.letter_key] for m in db.session.scalars(select(Mandate))}
        case_files = {c.number: list(db.session.scalars(select(Upload.key).where(Upload.case_id == c.id)))
                      for c in db.session.scalars(select(Case))}
    own = {
        "east": {"mandates": {m1}, "cases": {c1}, "papers": {_paper(p1)}},
        "east2": {"mandates": set(), "cases": set(), "papers": set()},
        "tunzi": {"mandates": {m2}, "cases": {c2}, "papers": {_paper(p2)}},
    }
    return {"clients": {"east": east, "east2": east2, "tunzi": tunzi}, "own": own,
            "mandates": {m1, m2}, "cases": {c1: R1, c2: R2, c3: R3}, "papers": {_paper(p1), _paper(p2)},
            "files": {m1: files[m1], m2: files[m2]}, "case_files": case_files}


def _paper(response) -> int:
    return int(response.headers["Location"].rstrip("/").rsplit("/", 2)[1])


def _values(world, who: str, var: str) -> list[tuple[str, bool]]:
    """(value, foreign) pairs for a path variable, as seen by agent `who`."""
    own = world["own"][who]
    if var in ("mandate_id", "consent_id"):
        return [(str(m), m not in own["mandates"]) for m in sorted(world["mandates"])]
    if var == "number":
        return [(n, n not in own["cases"]) for n in sorted(world["cases"])]
    if var == "paper_id":
        return [(str(p), p not in own["papers"]) for p in sorted(world["papers"])]
    if var == "key":
        keys = [(k, m not in own["mandates"]) for m, ks in world["files"].items() for k in ks if k]
        keys += [(k, n not in own["cases"]) for n, ks in world["case_files"].items() for k in ks]
        return keys
    return [({"code": "621027-BM-005", "kind": "collect", "session_id": "1", "department_id": "1"}.get(var, "x"), False)]


def _leaks(world, who: str) -> list[str]:
    """What of others must never show on this agent's pages."""
    out = []
    for number, (name, id_number_, _) in world["cases"].items():
        if number not in world["own"][who]["cases"]:
            out += [number, name, id_number_, id_number_[-4:] + "<"]
    return out


def test_every_agent_url_refuses_every_object_not_the_agents_own(app, world):
    rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/agent/") and r.arguments]
    assert len(rules) >= 25, [r.rule for r in rules]
    tried = 0
    for who, client in world["clients"].items():
        token = csrf_token_from(client.get("/agent/").get_data(as_text=True))
        leaks = _leaks(world, who)
        for rule in rules:
            names = VAR.findall(rule.rule)
            for combo in product(*[_values(world, who, n) for n in names]):
                values = {n: value for n, (value, _) in zip(names, combo)}
                if not any(foreign for _, foreign in combo):
                    continue
                url = VAR.sub(lambda m: values[m.group(1)], rule.rule)
                method = "GET" if "GET" in rule.methods else "POST"
                response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
                tried += 1
                body = response.get_data(as_text=True)
                assert response.status_code in (403, 404), f"{who} {method} {url}: {response.status_code}"
                assert not [s for s in leaks if s in body], f"{who} {method} {url} shows another's data"
    assert tried > 200


def test_desks_show_only_the_agents_own_residents(world):
    for who, client in world["clients"].items():
        desk = client.get("/agent/").get_data(as_text=True)
        for number in world["cases"]:
            assert (number in desk or f'/agent/cases/{number}"' in desk) == (number in world["own"][who]["cases"]), \
                (who, number)


def test_other_kinds_of_account_never_reach_agent_pages(app, world, client):
    from tests.conftest import sign_in

    m1 = min(world["mandates"])
    sign_in(client, "13900000011")  # R1 herself, signed in on her phone
    for url in ("/agent/", f"/agent/r/{m1}/", f"/agent/r/{m1}/my"):
        response = client.get(url)
        assert response.status_code == 302 and "/agent/login" in response.headers["Location"]
    east = world["clients"]["east"]
    for url in ("/my", "/my/agents", f"/my/{sorted(world['cases'])[0]}"):  # an agent is nobody's citizen
        response = east.get(url)
        assert response.status_code in (302, 303) and "/signin" in response.headers["Location"], url
