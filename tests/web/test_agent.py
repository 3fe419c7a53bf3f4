"""Village agents through their pages: consent by SMS code or on paper, applying for a resident,
补正, the paper trail, a disabled account, a withdrawn consent, and what staff see."""
import html
import re
from datetime import date, timedelta
from pathlib import Path

import pyotp
import pytest
from sqlalchemy import select, update

from extensions import db
from services.audit import AuditEntry
from services.cases.lifecycle import Case, CaseEvent, act
from services.people.actors import Actor
from services.people.consent import Mandate
from services.people.identity import Person
from services.sms import messages_to
from tests.conftest import (
    AGENT_PASSWORD,
    CONSENT_CODE,
    csrf_token_from,
    enrol_on_page,
    form_post,
    second_step_code,
    sign_in,
)
from tests.factories import id_number
from tests.images import png
from tests.web.test_office import login, staff  # noqa: F401  (the staff fixture)

HIGH_AGE = "621027-BM-005"  # 高龄津贴: one material (户口簿), no township question for an agent here
STAFF = Actor("staff", None, "李娜", role="admin")
RARE = "李䶮"
ZHANG, WANG = id_number("19400101", "123"), id_number("19410101", "133")


def _consent_url(mandate_id: int) -> str:
    return f"/agent/consents/{mandate_id}"


def _apply(client, mandate_id: int, name: str, number: str, phone: str = "13900000099") -> str:
    """Fill 高龄津贴 for the resident through the agent's pages: the receipt's URL."""
    base = f"/agent/r/{mandate_id}/apply/{HIGH_AGE}"
    page = client.get(base).get_data(as_text=True)
    assert "这位群众的首页" in page  # the agent's layout, acting for the resident
    township = re.search(r'<option value="(\d+)" selected', page).group(1)  # the agent's own, first
    answers = {"township_id": township, "elder_name": name, "elder_id_number": number, "relationship": "村代办员",
               "account_number": "6217000000000000", "address": "东关村三组", "phone": phone}
    response = form_post(client, base, answers)
    assert response.status_code == 303, response.get_data(as_text=True)
    response = form_post(client, base + "/materials", {"material": "bank_account", "files": (_png(), "a.png")},
                         content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    check = client.get(base + "/check").get_data(as_text=True)
    draft_key = re.search(r'name="draft_key" value="([^"]+)"', check).group(1)
    response = client.post(base + "/submit", data={"csrf_token": csrf_token_from(check), "draft_key": draft_key})
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def _png():
    import io

    return io.BytesIO(png())


@pytest.mark.usefixtures("staff")
def test_agent_applies_for_a_resident_after_consent_by_sms(app, agents):
    agent = agents.signed_in("daiban1")
    resident_id = id_number("19400302", "456")
    mandate_id = agents.consent_by_sms(agent, RARE, resident_id, "13900000011")
    receipt_url = _apply(agent, mandate_id, RARE, resident_id)
    receipt = agent.get(receipt_url).get_data(as_text=True)
    assert "申请已提交" in receipt or "办件编号" in receipt
    with app.app_context():
        case = db.session.scalar(select(Case))
        person = db.session.get(Person, case.applicant_id)
        assert (person.name, person.id_number, person.phone) == (RARE, resident_id, "13900000011")
        assert (case.actor_kind, case.mandate_id) == ("agent", mandate_id)
        event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id))
        # The agent acts, the resident applies: both on the record, separately.
        assert (event.actor_kind, event.actor_name, event.data["mandate"]) == ("agent", "赵红梅", mandate_id)
        assert case.applicant_name == RARE
    texts = messages_to_app(app, "13900000011")
    assert any("申请代您办理" in t for t in texts) and any("您已委托" in t for t in texts)
    assert any("申请已提交" in t and "（村代办员赵红梅代办）" in t for t in texts)
    # Staff of the township see the case marked 代办 in the queue, and the consent behind it.
    window = login(app, "chengguan")
    assert '<span class="tag">代办</span>' in window.get("/office/").get_data(as_text=True)
    page = window.get(f"/office/cases/{case.id}").get_data(as_text=True)
    assert "代办" in page and "赵红梅" in page and "本人手机短信验证码" in page and "139****0011" in page


def test_consent_codes_wrong_expired_and_reused(app, agents):
    agent = agents.signed_in("daiban1")
    page_url = agents.start(agent, "王𠈌", id_number("19450101", "321"), "13900000012")
    code = CONSENT_CODE.search(agent.get(page_url).get_data(as_text=True)).group(1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    response = form_post(agent, page_url, {"code": wrong}, post_url=page_url + "/code")
    assert response.status_code == 422 and "验证码不对" in response.get_data(as_text=True)
    mandate_id = int(page_url.rsplit("/", 1)[1])
    with app.app_context():  # ten minutes pass
        expires = db.session.get(Mandate, mandate_id).code_expires_at
        db.session.execute(update(Mandate).values(code_expires_at=expires - timedelta(minutes=11)))
        db.session.commit()
    response = form_post(agent, page_url, {"code": code}, post_url=page_url + "/code")
    assert response.status_code == 422 and "已过期" in response.get_data(as_text=True)
    with app.app_context():  # had it been read out in time, it would have been good
        db.session.execute(update(Mandate).values(code_expires_at=expires))
        db.session.commit()
    response = form_post(agent, page_url, {"code": code}, post_url=page_url + "/code")
    assert response.status_code == 303
    again = form_post(agent, page_url, {"code": code}, post_url=page_url + "/code")
    assert again.status_code == 422 and "已经确认过" in again.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Mandate, mandate_id).status == "active"


def test_five_wrong_codes_spend_the_code(app, agents):
    agent = agents.signed_in("daiban1")
    page_url = agents.start(agent, "阿卜杜·热合曼", id_number("19450101", "331"), "13900000013")
    code = CONSENT_CODE.search(agent.get(page_url).get_data(as_text=True)).group(1)
    for n in range(5):
        form_post(agent, page_url, {"code": f"{(int(code) + 1 + n) % 10**6:06d}"}, post_url=page_url + "/code")
    response = form_post(agent, page_url, {"code": code}, post_url=page_url + "/code")
    assert response.status_code == 422 and "已过期或已使用" in response.get_data(as_text=True)


def test_resending_codes_is_rate_limited_per_phone(agents):
    agent = agents.signed_in("daiban1")
    page_url = agents.start(agent, "张桂兰", id_number("19450101", "341"), "13900000014")
    response = form_post(agent, page_url, {}, post_url=page_url + "/resend")
    assert response.status_code == 429 and "刚收到过验证码" in response.get_data(as_text=True)


def test_no_phone_consent_needs_signature_letter_and_a_second_person(app, agents):
    agent = agents.signed_in("daiban1")
    page_url = agents.start(agent, "马秀英", id_number("19380505", "222"), "")
    mandate_id = int(page_url.rsplit("/", 1)[1])
    letter = agent.get(page_url + "/letter").get_data(as_text=True)
    assert "授权委托书" in letter and "马秀英" in letter and "赵红梅" in letter
    refused = form_post(agent, page_url, {}, post_url=page_url + "/submit")
    assert refused.status_code == 422 and "群众手写签名" in refused.get_data(as_text=True)
    for kind in ("signature", "letter"):
        response = form_post(agent, page_url, {"kind": kind, "files": (_png(), f"{kind}.png")},
                             post_url=page_url + "/evidence", content_type="multipart/form-data")
        assert response.status_code == 303, response.get_data(as_text=True)
    assert form_post(agent, page_url, {}, post_url=page_url + "/submit").status_code == 303
    # Not by the agent themself, nor by an agent of another village.
    assert agent.get(f"/agent/confirm/{mandate_id}").status_code == 404
    far = agents.signed_in("tunzi1", village="屯字", name="王强")
    assert far.get(f"/agent/confirm/{mandate_id}").status_code == 404
    assert agent.get(f"/agent/r/{mandate_id}/").status_code == 404  # not in force yet
    committee = agents.signed_in("cunwei1", role="committee", name="马德海")
    assert f"/agent/confirm/{mandate_id}" in committee.get("/agent/").get_data(as_text=True)
    page = committee.get(f"/agent/confirm/{mandate_id}").get_data(as_text=True)
    assert "马秀英" in page
    signature = re.search(r'src="(/agent/confirm/\d+/files/[^"]+)"', page).group(1)
    assert committee.get(signature).mimetype == "image/png"
    response = form_post(committee, f"/agent/confirm/{mandate_id}", {"decision": "agree"})
    assert response.status_code == 303
    with app.app_context():
        mandate = db.session.get(Mandate, mandate_id)
        assert (mandate.status, mandate.confirmed_by_name) == ("active", "马德海")
        assert db.session.get(Person, mandate.person_id).phone is None
    receipt = agent.get(_apply(agent, mandate_id, "马秀英", id_number("19380505", "222"))).get_data(as_text=True)
    assert "没有登记手机" in receipt


def test_a_disabled_agent_is_out_at_the_next_request(app, agents):
    agent = agents.signed_in("daiban1")
    assert agent.get("/agent/").status_code == 200
    with app.app_context():
        from services.people.agents import Agent, set_active

        agent_id = db.session.scalar(select(Agent.id))
        set_active(STAFF, agent_id, False)
    response = agent.get("/agent/")
    assert response.status_code == 403 and "账号已停用" in response.get_data(as_text=True)
    assert agent.get("/agent/").status_code == 302  # signed out: back to the sign-in page
    refused = form_post(agent, "/agent/login", {"username": "daiban1", "password": "Agent-test-2026"})
    assert refused.status_code == 422


def test_a_withdrawn_consent_hides_everything_of_the_resident(app, agents, client):
    agent = agents.signed_in("daiban1")
    mandate_id = agents.consent_by_sms(agent, "张桂兰", ZHANG, "13900000001")
    receipt_url = _apply(agent, mandate_id, "张桂兰", ZHANG)
    number = receipt_url.split("/cases/")[1].split("/")[0]
    assert agent.get(f"/agent/cases/{number}").status_code == 303
    sign_in(client, "13900000001")
    page = client.get("/my/agents").get_data(as_text=True)
    assert "赵红梅" in page and "撤销委托" in page
    own = client.get(f"/my/{number}").get_data(as_text=True)  # the resident sees the agent's case
    assert "代办员 赵红梅" in own  # and who did it for them
    response = form_post(client, "/my/agents", {}, post_url=f"/my/agents/{mandate_id}/withdraw")
    assert response.status_code == 303
    for url in (f"/agent/r/{mandate_id}/", f"/agent/r/{mandate_id}/my/{number}", receipt_url,
                f"/agent/cases/{number}"):
        response = agent.get(url)
        assert response.status_code == 404, url
        assert "张桂兰" not in response.get_data(as_text=True) and number not in response.get_data(as_text=True)
    assert number not in agent.get("/agent/").get_data(as_text=True)
    assert any("已撤销" in t for t in messages_to_app(app, "13900000001"))


def messages_to_app(app, phone):
    """What the outbox worker sends to this phone (through the sandbox SMS gateway)."""
    from services import outbox

    with app.app_context():
        while outbox.drain(app.extensions["senders"], limit=50) != (0, 0):
            pass
        return messages_to(phone)


def test_agent_answers_a_supplement_request(app, agents):
    agent = agents.signed_in("daiban1")
    mandate_id = agents.consent_by_sms(agent, "张桂兰", ZHANG, "13900000001")
    number = _apply(agent, mandate_id, "张桂兰", ZHANG).split("/cases/")[1].split("/")[0]
    with app.app_context():
        case = db.session.scalar(select(Case))
        act(case, "accept", STAFF)
        material = app.extensions["catalog"].get(HIGH_AGE).required_materials[0].key
        act(case, "supplement", STAFF, "户口簿照片看不清", {"materials": [material]})
    desk = agent.get("/agent/").get_data(as_text=True)
    assert re.search(r"需要补正 <span class=\"count\">1</span>", desk)
    page_url = agent.get(f"/agent/cases/{number}").headers["Location"]
    response = form_post(agent, page_url, {"material": material, "files": (_png(), "hukou.png")},
                         content_type="multipart/form-data")
    assert response.status_code == 303, response.get_data(as_text=True)
    response = form_post(agent, page_url, {}, post_url=page_url + "/resubmit")
    assert response.status_code == 303
    with app.app_context():
        case = db.session.scalar(select(Case))
        assert case.status == "accepted"
        assert case.events[-1].actor_kind == "agent"


def test_paper_trail_collect_and_return_are_recorded_and_printed(app, agents):
    agent = agents.signed_in("daiban1")
    mandate_id = agents.consent_by_sms(agent, "张桂兰", ZHANG, "13900000001")
    number = _apply(agent, mandate_id, "张桂兰", ZHANG).split("/cases/")[1].split("/")[0]
    case_url = f"/agent/r/{mandate_id}/my/{number}"
    assert "记录收件清单" in agent.get(case_url).get_data(as_text=True)
    empty = form_post(agent, case_url + "/papers/collect", {})
    assert empty.status_code == 422 and "请勾选" in empty.get_data(as_text=True)
    material = app.extensions["catalog"].get(HIGH_AGE).required_materials[0].key
    response = form_post(agent, case_url + "/papers/collect", {"keys": material, f"copies_{material}": "2"})
    assert response.status_code == 303, response.get_data(as_text=True)
    printed = agent.get(response.headers["Location"]).get_data(as_text=True)
    assert "收件清单" in printed and "交件人（群众）签字" in printed
    response = form_post(agent, case_url + "/papers/return", {"keys": ["_result", material], "received_by": "张桂兰"})
    assert response.status_code == 303, response.get_data(as_text=True)
    page = agent.get(case_url).get_data(as_text=True)
    assert "收件清单已记录" in page and "回交记录已记录" in page
    texts = messages_to_app(app, "13900000001")
    assert any("已收取您办理" in t and "2份" in t for t in texts) and any("交回张桂兰" in t for t in texts)


def test_consent_for_one_item_covers_only_that_item(agents):
    agent = agents.signed_in("daiban1")
    mandate_id = agents.consent_by_sms(agent, "张桂兰", ZHANG, "13900000001", item=HIGH_AGE)
    assert agent.get(f"/agent/r/{mandate_id}/apply/{HIGH_AGE}").status_code == 200
    assert agent.get(f"/agent/r/{mandate_id}/apply/621027-BM-006").status_code == 404
    assert agent.get(f"/agent/r/{mandate_id}/pay/621027-BM-011").status_code == 404
    assert agent.get(f"/agent/r/{mandate_id}/book").status_code == 404


def test_items_the_catalog_does_not_allow_an_agent_are_refused(agents, catalog):
    agent = agents.signed_in("daiban1")
    mandate_id = agents.consent_by_sms(agent, "张桂兰", ZHANG, "13900000001")
    housing_fund = catalog.get("621027-BM-001")
    assert not housing_fund.by_agent  # its channels do not name `agent`
    assert agent.get(f"/agent/r/{mandate_id}/query/{housing_fund.code}").status_code == 404
    assert agent.get(f"/agent/r/{mandate_id}/query/621027-BM-002").status_code == 200


def test_every_agent_read_of_a_resident_is_audit_logged(app, agents):
    agent = agents.signed_in("daiban1")
    mandate_id = agents.consent_by_sms(agent, "张桂兰", ZHANG, "13900000001")
    agent.get(f"/agent/r/{mandate_id}/")
    agent.get(f"/agent/r/{mandate_id}/my")
    with app.app_context():
        reads = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "agent_read")
                                   .order_by(AuditEntry.id)).all()
    pages = [r.detail["page"] for r in reads]
    assert pages[-2:] == ["agent.resident", "agent.my_cases"] and "agent.consent_page" in pages
    assert all(r.actor_kind == "agent" and r.target.startswith("person:") for r in reads)


def test_a_resident_whose_name_does_not_match_the_number_is_refused(app, agents):
    agent = agents.signed_in("daiban1")
    number = ZHANG
    agents.consent_by_sms(agent, "张桂兰", number, "13900000001")
    response = form_post(agent, "/agent/residents/new", {"name": "张桂英", "id_number": number, "phone": "",
                                                         "item": "", "months": "3"})
    assert response.status_code == 422 and "姓名与身份证号不符" in response.get_data(as_text=True)
    assert 'value="张桂英"' in response.get_data(as_text=True)  # what was typed stays
    with app.app_context():  # the refusal told the agent the number is known: that read is logged too
        refused = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "agent_lookup_refused")).all()
    assert len(refused) == 1 and refused[0].detail["id_number"] == number[:4] + "*" * 10 + number[-4:]


def test_the_desk_showing_only_consents_is_a_logged_read(app, agents):
    agent = agents.signed_in("daiban1")
    agents.consent_by_sms(agent, "张桂兰", ZHANG, "13900000001")  # a consent, no case yet
    assert "张**" in agent.get("/agent/").get_data(as_text=True)
    with app.app_context():
        logged = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "agent_desk")
                                    .order_by(AuditEntry.id)).all()
    assert logged and logged[-1].detail == {"cases": 0, "consents": 1, "to_confirm": 0}


@pytest.mark.usefixtures("staff")
def test_township_administrator_keeps_agents_of_their_own_villages(app, agents):
    from services.places import Village, load_villages
    from tests.conftest import ROOT

    with app.app_context():
        load_villages(ROOT / "data" / "villages.toml")
        own = db.session.scalar(select(Village.id).where(Village.code == "621027101202"))
        far = db.session.scalar(select(Village.id).where(Village.code == "621027102201"))
    admin = login(app, "cgadmin", "Township-demo-2026")
    new = {"username": "xiguan1", "name": "刘芳", "role": "agent", "password": "Agent-new-2026"}
    refused = form_post(admin, "/office/agents", {**new, "village_id": str(far)})
    assert refused.status_code == 422 and "本乡镇的村" in refused.get_data(as_text=True)
    assert "data-enrolment-code" in handing(admin, "/office/agents", {**new, "village_id": str(own)}).get_data(
        as_text=True)
    page = admin.get("/office/agents").get_data(as_text=True)
    assert "xiguan1" in page and "西关村" in page
    assert login(app, "chengguan").get("/office/agents").status_code == 403  # a window clerk does not
    agent_id = re.search(r'data-agent-row="(\d+)"', page).group(1)
    assert form_post(admin, "/office/agents", {"active": "0"}, post_url=f"/office/agents/{agent_id}/active").status_code == 303
    refused = form_post(app.test_client(), "/agent/login", {"username": "xiguan1", "password": "Agent-new-2026"})
    assert refused.status_code == 422


def _code_later(app, username: str, secret: str) -> str:
    """The authenticator's code, as if 30 s had passed since the last one used (each is good once)."""
    from services.people.agents import Agent

    with app.app_context():
        db.session.execute(update(Agent).where(Agent.username == username).values(totp_last_step=None))
        db.session.commit()
    return pyotp.TOTP(secret).now()


def _handed(response, what: str) -> str:
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    return html.unescape(re.search(rf"data-{what}>([^<]+)<", response.get_data(as_text=True)).group(1))

def handing(client, page_url: str, data: dict, post_url: str | None = None):
    """An administrator's action that hands something over: its page, after the redirect."""
    return form_post(client, page_url, data, post_url=post_url, follow_redirects=True)


@pytest.mark.usefixtures("staff")
def test_a_new_agent_enrols_with_the_handed_over_code_and_changes_the_administrators_password_first(app, agents):
    from services.places import Village, load_villages
    from tests.conftest import ROOT

    with app.app_context():
        load_villages(ROOT / "data" / "villages.toml")
        own = db.session.scalar(select(Village.id).where(Village.code == "621027101202"))
    admin = login(app, "cgadmin", "Township-demo-2026")
    made = handing(admin, "/office/agents", {"username": "xiguan2", "name": "刘芳", "role": "agent",
                                               "password": "Agent-new-2026", "village_id": str(own)})
    code = _handed(made, "enrolment-code")  # shown once, to hand over in person with the account
    assert "村代办员账号" in made.get_data(as_text=True) and "/agent/login" in made.get_data(as_text=True)

    # The password alone opens nothing: not the desk, not a wrong code, not a staff member's second step
    agent = app.test_client()
    first = form_post(agent, "/agent/login", {"username": "xiguan2", "password": "Agent-new-2026"})
    assert first.status_code == 303 and first.headers["Location"].endswith("/agent/login/second")
    assert agent.get("/agent/").status_code == 302
    assert agent.get("/office/login/second").headers["Location"].endswith("/office/login")
    assert "开通码不对" in enrol_on_page(agent, "/agent/login/second", "1234 5678")[0].get_data(as_text=True)
    form_post(agent, "/agent/login", {"username": "xiguan2", "password": "Agent-new-2026"})
    enrolled, secret = enrol_on_page(agent, "/agent/login/second", code)
    assert enrolled.status_code == 200 and len(re.findall(r"[0-9a-f]{8}-[0-9a-f]{8}", enrolled.get_data(as_text=True))) == 10

    for path in ("/agent/", "/agent/residents/new"):  # nothing else until the password is their own
        assert agent.get(path).headers["Location"].endswith("/agent/password")
    assert "data-password-first" in agent.get("/agent/password").get_data(as_text=True)
    weak = form_post(agent, "/agent/password", {"current": "Agent-new-2026", "password": "woaini123456"})
    assert weak.status_code == 422 and "太常见" in weak.get_data(as_text=True)
    done = form_post(agent, "/agent/password", {"current": "Agent-new-2026", "password": "Sorghum-kettle-41"})
    assert done.status_code == 303 and agent.get("/agent/").status_code == 200
    # Whenever they like after that, from the desk's menu
    again = form_post(agent, "/agent/password", {"current": "Sorghum-kettle-41", "password": "Millet-lantern-58"})
    assert again.status_code == 200 and "密码已修改" in again.get_data(as_text=True)
    page = agent.get("/agent/password").get_data(as_text=True)
    assert "还剩 <b>10</b> 个" in page

    # Forgotten: the township administrator hands over a temporary one; the agent is out at once,
    # and signs in with it and the code of the authenticator they enrolled
    agent_id = re.search(r'data-agent-row="(\d+)"[^>]*>\s*<td class="code">xiguan2',
                         admin.get("/office/agents").get_data(as_text=True)).group(1)
    handed = handing(admin, "/office/agents", {}, post_url=f"/office/agents/{agent_id}/password")
    temporary = _handed(handed, "temporary-password")
    assert "data-enrolment-code" not in handed.get_data(as_text=True) and agent.get("/agent/").status_code == 302
    fresh = app.test_client()
    form_post(fresh, "/agent/login", {"username": "xiguan2", "password": temporary})
    assert form_post(fresh, "/agent/login/second", {"code": _code_later(app, "xiguan2", secret)}).status_code == 303
    assert fresh.get("/agent/").headers["Location"].endswith("/agent/password")

    # A lost phone: a new enrolment code, every session ended, enrolment again at the next sign-in
    code = _handed(handing(admin, "/office/agents", {}, post_url=f"/office/agents/{agent_id}/two-factor"),
                   "enrolment-code")
    assert fresh.get("/agent/password").status_code == 302
    again = app.test_client()
    form_post(again, "/agent/login", {"username": "xiguan2", "password": temporary})
    assert enrol_on_page(again, "/agent/login/second", code)[0].status_code == 200
    with app.app_context():
        logged = set(db.session.scalars(select(AuditEntry.action)))
    assert {"reset_agent_password", "reset_agent_two_factor", "two_factor_enrolled", "two_factor_failed",
            "change_password", "create_agent"} <= logged
    # A window clerk cannot do either
    for action in ("password", "two-factor"):
        assert form_post(login(app, "chengguan"), "/office/", {}, post_url=f"/office/agents/{agent_id}/{action}"
                         ).status_code == 403


def test_an_agent_renews_recovery_codes_with_a_fresh_code(app, agents):
    agent = agents.signed_in("daiban1")
    refused = form_post(agent, "/agent/password", {"code": "000000"}, post_url="/agent/recovery-codes")
    assert refused.status_code == 422 and "验证码不对" in refused.get_data(as_text=True)
    renewed = form_post(agent, "/agent/password", {"code": second_step_code(app, "daiban1", "agent")},
                        post_url="/agent/recovery-codes")
    codes = re.findall(r"[0-9a-f]{8}-[0-9a-f]{8}", renewed.get_data(as_text=True))
    assert renewed.status_code == 200 and len(codes) == 10 and "no-store" in renewed.headers["Cache-Control"]
    # One of them stands in for the authenticator's code, once
    again = app.test_client()
    form_post(again, "/agent/login", {"username": "daiban1", "password": AGENT_PASSWORD})
    assert form_post(again, "/agent/login/second", {"code": codes[0]}).status_code == 303
    reused = app.test_client()
    form_post(reused, "/agent/login", {"username": "daiban1", "password": AGENT_PASSWORD})
    assert form_post(reused, "/agent/login/second", {"code": codes[0]}).status_code == 422


@pytest.mark.usefixtures("staff")
def test_supervision_counts_agent_cases_per_village(app, agents):
    agent = agents.signed_in("daiban1")
    mandate_id = agents.consent_by_sms(agent, "张桂兰", ZHANG, "13900000001")
    _apply(agent, mandate_id, "张桂兰", ZHANG)
    _apply(agent, agents.consent_by_sms(agent, "王建国", WANG, "13900000002"), "王建国", WANG)
    with app.app_context():
        first, second = db.session.scalars(select(Case).order_by(Case.id)).all()
        act(first, "accept", STAFF)
        act(first, "complete", STAFF, data={"decision": "approved"})
        act(second, "accept", STAFF)
        second.due_on = date.today() - timedelta(days=2)  # its promised date has passed
        db.session.commit()
    page = login(app, "chengguan").get("/office/villages").get_data(as_text=True)
    row = re.search(r'data-village="621027101201">(.*?)</tr>', page, re.S).group(1)
    # Submitted by agents, open, overdue, and average working days to 办结 (done the day it was accepted).
    assert re.findall(r"<td>(?:<b[^>]*>)?([^<]*)(?:</b>)?</td>", row)[1:] == ["2", "1", "1", "0.0"]
    assert "621027102201" not in page  # another township's village: not this window's


def test_an_agent_never_takes_the_money_the_resident_pays_by_scanning(app, agents):
    agent = agents.signed_in("daiban1")
    mandate_id = agents.consent_by_sms(agent, "张桂兰", ZHANG, "13900000001")
    page = agent.get(f"/agent/r/{mandate_id}/pay/621027-BM-011").get_data(as_text=True)
    grade = re.search(r'name="grade" value="([^"]+)"', page).group(1)
    order_key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    response = form_post(agent, f"/agent/r/{mandate_id}/pay/621027-BM-011", {"grade": grade, "key": order_key})
    assert response.status_code == 303 and f"/agent/r/{mandate_id}/pay/orders/" in response.headers["Location"]
    page = agent.get(response.headers["Location"]).get_data(as_text=True)
    assert "扫码支付" in page and "<svg" in page  # a QR for the resident's (or a relative's) phone
    with app.app_context():
        from services.payments import PaymentOrder

        order = db.session.scalar(select(PaymentOrder))
        assert (order.actor_kind, order.person_id) == ("agent", db.session.scalar(select(Person.id)))
    order_url = response.headers["Location"]
    assert form_post(agent, order_url, {}).status_code == 200  # 取消订单, for the resident
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cancel_order"))
        assert (entry.actor_kind, entry.actor_name, entry.detail["person"]) == ("agent", "赵红梅", order.person_id)


def test_a_code_never_goes_to_a_number_an_agent_types_for_someone_without_one(app, agents):
    """Else an agent could type their own number, consent in the resident's name, and own the record."""
    agent = agents.signed_in("daiban1")
    number = id_number("19380505", "222")
    response = form_post(agent, "/agent/residents/new", {"name": "马秀英", "id_number": number,
                                                         "phone": "13800000077", "item": "", "months": "3"})
    assert response.status_code == 422 and "还没有在系统登记手机号" in response.get_data(as_text=True)
    paper = agents.start(agent, "马秀英", number)  # without a phone: the paper path
    assert "签名" in agent.get(paper).get_data(as_text=True)
    response = form_post(agent, "/agent/residents/new", {"name": "马秀英", "id_number": number,
                                                         "phone": "13800000077", "item": "", "months": "3"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Person.phone).where(Person.id_number == number)) is None


def test_a_withdrawn_paper_consent_shows_no_letter_nor_evidence(app, agents):
    agent = agents.signed_in("daiban1")
    page_url = agents.start(agent, "马秀英", id_number("19380505", "222"))
    response = form_post(agent, page_url, {"kind": "letter", "files": (_png(), "l.png")},
                         post_url=page_url + "/evidence", content_type="multipart/form-data")
    assert response.status_code == 303
    page = agent.get(page_url).get_data(as_text=True)
    file_url = re.search(r'href="(/agent/consents/\d+/files/[^"]+)"', page).group(1)
    assert agent.get(file_url).status_code == 200 and agent.get(page_url + "/letter").status_code == 200
    with app.app_context():
        from services.people.consent import withdraw

        withdraw(STAFF, int(page_url.rsplit("/", 1)[1]))
    assert agent.get(file_url).status_code == 404 and agent.get(page_url + "/letter").status_code == 404
    page = agent.get(page_url).get_data(as_text=True)
    assert "马*" not in page and "已撤销" in page
    assert "马*" not in agent.get("/agent/").get_data(as_text=True)


def test_a_double_tap_asks_one_consent(app, agents):
    agent = agents.signed_in("daiban1")
    first = agents.start(agent, "张桂兰", ZHANG, "13900000001")
    assert agents.start(agent, "张桂兰", ZHANG, "13900000001") == first
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Mandate)) == 1


def _paper_consent(app, agents, agent, committee, name="马秀英", number=None):
    """A paper consent given and confirmed by the village's committee: its id."""
    page_url = agents.start(agent, name, number or id_number("19380505", "222"))
    for kind in ("signature", "letter"):
        form_post(agent, page_url, {"kind": kind, "files": (_png(), "x.png")}, post_url=page_url + "/evidence",
                  content_type="multipart/form-data")
    assert form_post(agent, page_url, {}, post_url=page_url + "/submit").status_code == 303
    mandate_id = int(page_url.rsplit("/", 1)[1])
    assert form_post(committee, f"/agent/confirm/{mandate_id}", {"decision": "agree"}).status_code == 303
    return mandate_id


@pytest.mark.usefixtures("staff")
def test_a_resident_without_a_phone_withdraws_at_their_township_window(app, agents):
    agent = agents.signed_in("daiban1")
    committee = agents.signed_in("cunwei1", role="committee", name="马德海")
    number = id_number("19380505", "222")
    mandate_id = _paper_consent(app, agents, agent, committee, number=number)
    assert agent.get(f"/agent/r/{mandate_id}/").status_code == 200
    far = login(app, "tunzi")  # 屯字镇's window: not the agent's township, shown nobody
    response = far.get(f"/office/consents?q={number}")
    assert response.status_code == 404 and "马秀英" not in response.get_data(as_text=True)
    assert form_post(far, f"/office/consents?q={number}", {},
                     post_url=f"/office/consents/{mandate_id}/withdraw").status_code == 404
    window = login(app, "chengguan")
    page = window.get(f"/office/consents?q={number}").get_data(as_text=True)
    assert "赵红梅" in page and "撤销委托" in page
    response = form_post(window, f"/office/consents?q={number}", {}, post_url=f"/office/consents/{mandate_id}/withdraw")
    assert response.status_code == 303
    assert agent.get(f"/agent/r/{mandate_id}/").status_code == 404
    with app.app_context():
        assert db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_kind == "staff")).all().count(
            "view_person") == 4  # every look-up, by either window


def test_a_committee_account_confirms_but_does_not_act_for_residents(agents):
    committee = agents.signed_in("cunwei1", role="committee", name="马德海")
    response = form_post(committee, "/agent/residents/new", {"name": "马秀英", "id_number": id_number("19380505", "222"),
                                                             "phone": "", "item": "", "months": "3"})
    assert response.status_code == 422 and "村委会账号只确认纸质委托" in response.get_data(as_text=True)


def test_the_residents_own_card_at_a_kiosk_joins_their_phone_to_the_record_an_agent_made(app, agents, kiosk):
    """A resident an agent recorded without a phone is not locked out: typing their ID number on
    the phone is refused with the way to go, and their card read at a kiosk (with an SMS code to
    their phone) makes the phone theirs on that record."""
    agent = agents.signed_in("daiban1")
    committee = agents.signed_in("cunwei1", role="committee", name="马德海")
    card = {"name": "马秀英", "id_number": id_number("19380505", "222"), "born": "19380505", "sex": "女",
            "valid_until": "长期"}
    mandate_id = _paper_consent(app, agents, agent, committee, number=card["id_number"])
    number = _apply(agent, mandate_id, "马秀英", card["id_number"]).split("/cases/")[1].split("/")[0]
    response = sign_in(app.test_client(), "13900000055", "马秀英", card["id_number"])  # on their phone
    assert response.status_code == 422 and "自助终端上读身份证" in response.get_data(as_text=True)
    kiosk.register()
    assert kiosk.identify(card=card, phone="13900000055").status_code == 303
    assert number in kiosk.client.get("/kiosk/my").get_data(as_text=True)
    with app.app_context():
        person = db.session.scalar(select(Person).where(Person.id_number == card["id_number"]))
        assert (person.phone, person.verified_via) == ("13900000055", "id_card")
    # From now on a consent goes by SMS code to that phone.
    assert "验证码已发到" in agent.get(agents.start(agent, "马秀英", card["id_number"], item=HIGH_AGE)).get_data(as_text=True)


def test_an_agent_cancels_a_consent_not_yet_in_force(app, agents):
    agent = agents.signed_in("daiban1")
    page_url = agents.start(agent, "马秀英", id_number("19380505", "222"))
    assert form_post(agent, page_url, {}, post_url=page_url + "/cancel").status_code == 303
    assert agent.get(page_url + "/letter").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(Mandate.status)) == "withdrawn"


def test_what_an_agent_began_goes_when_the_consent_is_withdrawn(app, agents, client):
    from services.cases.drafts import Draft
    from services.cases.materials import Upload

    agent = agents.signed_in("daiban1")
    mandate_id = agents.consent_by_sms(agent, "张桂兰", ZHANG, "13900000001")
    base = f"/agent/r/{mandate_id}/apply/{HIGH_AGE}"
    response = form_post(agent, base + "/materials", {"material": "bank_account", "files": (_png(), "a.png")},
                         content_type="multipart/form-data")
    assert response.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Upload)) == 1
    sign_in(client, "13900000001")
    assert form_post(client, "/my/agents", {}, post_url=f"/my/agents/{mandate_id}/withdraw").status_code == 303
    with app.app_context():  # the bank book photo went with the draft
        assert db.session.get(Mandate, mandate_id).status == "withdrawn"
        assert db.session.scalar(select(db.func.count()).select_from(Upload)) == 0
        assert db.session.scalar(select(db.func.count()).select_from(Draft)) == 0
    assert not [f for f in Path(app.config["UPLOAD_DIR"]).rglob("*") if f.is_file()]


def test_an_agent_disabled_between_the_password_and_the_code_is_not_signed_in(app, agents):
    from services.people.agents import Agent, set_active

    agents.create("daiban1")
    client = app.test_client()
    code = second_step_code(app, "daiban1", "agent")
    form_post(client, "/agent/login", {"username": "daiban1", "password": AGENT_PASSWORD})
    with app.app_context():
        set_active(STAFF, db.session.scalar(select(Agent.id)), False)
    refused = form_post(client, "/agent/login", {"code": code}, post_url="/agent/login/second")
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/agent/login")
    assert client.get("/agent/").status_code == 302
