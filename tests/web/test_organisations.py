"""单位办事 (法人): a legal representative adds their organisation by its 统一社会信用代码 (the
registry must name them), keeps its details once, authorises 经办人; whoever acts for it applies
for its approval items with the details prefilled, and follows its cases — nobody else does, and
an authority withdrawn ends at the next request. The county department handles the case in the
console like any other: accepts, asks for 补正, decides, hands over an electronic result."""
import html
import io
import re

import pytest
from sqlalchemy import func, select

from extensions import db
from services.audit import AuditEntry
from services.cases.lifecycle import Case
from services.people.organisations import Authorisation, Organisation
from tests import factories, images
from tests.conftest import form_post, sign_in
from tests.web.test_office import login, staff  # noqa: F401  (the staff fixture)

FOOD = "621027-SP-012"  # 食品经营许可: 县市场监督管理局, applied for by organisations
BIRTH = "621027-BM-004"  # a person's item
COMPANY = "91621027MA71A2B3C8"  # the sandbox registry: legal representative 王建国
CLOSED = "91621027MA71K8L9ME"  # 注销, also 王建国's
SHOP = "92621027MA71D4E5F7"  # legal representative 刘桂芳
WANG = ("13900000002", "王建国", "622827196508201136")
ZHANG = ("13900000001", "张桂兰", "622827195803150023")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def wang(app):
    client = app.test_client()
    sign_in(client, *WANG)
    return client


@pytest.fixture
def zhang(app):
    client = app.test_client()
    sign_in(client, *ZHANG)
    return client


def register(client, uscc=COMPANY):
    return form_post(client, "/org", {"uscc": uscc})


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def answers_for(item) -> dict:
    """A right answer for every field the organisation's details do not fill in."""
    by_type = {"select": lambda f: f.options[0], "integer": lambda f: str(max(f.min, 1)),
               "number": lambda f: str(max(f.min, 1)), "money": lambda f: str(max(f.min, 1)),
               "name": lambda f: "韩梅", "phone": lambda f: "13912345678", "date": lambda f: "2027-01-15",
               "id_number": lambda f: factories.id_number("19800101", "111"), "digits": lambda f: "6222020200001234",
               "uscc": lambda f: COMPANY}
    return {f.name: by_type.get(f.type, lambda f: "城关镇南环路 18 号")(f) for f in item.fields if not f.prefill}


def apply_as_organisation(app, client, code=FOOD) -> str:
    item = app.extensions["catalog"].get(code)
    page = text(client.get(f"/apply/{code}"))
    prefilled = {f.name: re.search(rf'name="{f.name}"[^>]*value="([^"]*)"', page).group(1)
                 for f in item.fields if f.prefill and f.type not in ("select", "textarea")}
    assert form_post(client, f"/apply/{code}", {**prefilled, **answers_for(item)}).status_code == 303
    for material in item.required_materials:
        if material.required:
            response = form_post(client, f"/apply/{code}/materials",
                                 {"material": material.key, "files": (io.BytesIO(images.pdf()), "材料.pdf")},
                                 content_type="multipart/form-data")
            assert response.status_code == 303, text(response)
    page = text(client.get(f"/apply/{code}/check"))
    key = re.search(r'name="draft_key" value="([0-9a-f]+)"', page).group(1)
    response = form_post(client, f"/apply/{code}/check", {"draft_key": key}, post_url=f"/apply/{code}/submit")
    assert response.status_code == 303, text(response)
    with app.app_context():
        return db.session.scalar(select(Case.number).order_by(Case.id.desc()).limit(1))


def test_the_legal_representative_adds_the_organisation_and_its_details_fill_the_form(app, wang):
    response = register(wang)
    assert response.status_code == 303 and "/org/details" in response.headers["Location"]
    page = text(wang.get("/org/details"))
    assert "镇原县建国农业科技有限公司" in page and "演示数据" in page and "企业" in page
    saved = form_post(wang, "/org/details", {"address": "城关镇南环路 18 号二楼", "contact_name": "李会计",
                                             "contact_phone": "13912340000"})
    assert saved.status_code == 303
    form = text(wang.get(f"/apply/{FOOD}"))
    assert "以单位名义办事：镇原县建国农业科技有限公司（法定代表人）" in re.sub(r"<[^>]+>", "", form)
    for value in ("镇原县建国农业科技有限公司", COMPANY, "城关镇南环路 18 号二楼", "李会计", "13912340000"):
        assert f'value="{value}"' in form
    assert re.search(r'name="uscc" value="91621027MA71A2B3C8"[^>]*readonly', form)  # who it is: the registry's
    with app.app_context():
        assert "register_organisation" in db.session.scalars(select(AuditEntry.action)).all()


@pytest.mark.parametrize("uscc,message", [
    ("91621027MA71A2B3C9", "校验码对不上"),
    ("91621027MA71A2B3", "应为 18 位"),
    ("91621027MA71A2BOC8", "不含 I、O、Z、S、V"),
    ("91621027MA71X2B3C1", "没有查到"),
    (CLOSED, "注销"),
    (SHOP, "法定代表人不是您"),
])
def test_an_organisation_that_cannot_be_confirmed_is_refused_beside_the_field(app, wang, uscc, message):
    if uscc == "91621027MA71X2B3C1":  # a right checksum the registry does not know
        from stdnum.cn import uscc as checker
        uscc = uscc[:17] + checker.calc_check_digit(uscc[:17])
    response = register(wang, uscc)
    assert response.status_code == 422 and message in text(response)
    assert f'value="{uscc}"' in text(response)  # what was typed stays
    assert count(app, Organisation) == 0


def test_an_authorised_person_acts_for_it_until_the_legal_representative_withdraws(app, wang, zhang):
    register(wang)
    assert "您可以代表的单位" not in text(zhang.get("/org"))
    form_post(wang, "/org/people", {"name": "张桂兰", "id_number": ZHANG[2], "months": "3"})
    people = text(wang.get("/org/people"))
    assert "张桂兰" in people and "6228**********0023" in people and ZHANG[2] not in people
    # 张桂兰 signs in as herself and chooses the organisation
    listed = text(zhang.get("/org"))
    assert "镇原县建国农业科技有限公司" in listed and "经办人" in listed
    with app.app_context():
        organisation_id = db.session.scalar(select(Organisation.id))
    entered = form_post(zhang, "/org", {}, post_url=f"/org/{organisation_id}/enter")
    assert entered.status_code == 303
    assert 'href="/org/people"' not in text(zhang.get("/org"))  # only the legal representative authorises
    assert zhang.get("/org/people").status_code == 404
    number = apply_as_organisation(app, zhang)
    # The legal representative sees the organisation's case, applied for by 张桂兰
    form_post(wang, "/org", {}, post_url=f"/org/{organisation_id}/enter")
    mine = text(wang.get("/my"))
    assert "单位的办件" in mine and number in mine and "经办人 张桂兰" in mine
    assert "经办人 张桂兰" in text(wang.get(f"/my/{number}"))  # the timeline: who applied, as what
    assert number in text(zhang.get("/my"))
    # Withdrawn: her very next request is hers alone again
    with app.app_context():
        authorisation_id = db.session.scalar(select(Authorisation.id))
    form_post(wang, "/org/people", {}, post_url=f"/org/people/{authorisation_id}/end")
    assert zhang.get(f"/my/{number}").status_code == 404
    assert number not in text(zhang.get("/my")) and "镇原县建国农业科技有限公司" not in text(zhang.get("/org"))
    assert number in text(wang.get("/my"))


def test_the_organisation_applying_is_the_one_acted_for_whatever_the_form_says(app, wang):
    register(wang)
    item = app.extensions["catalog"].get(FOOD)
    typed = {f.name: {"org_name": "镇原县屯字镇桂芳百货店", "uscc": SHOP, "legal_rep": "刘桂芳"}.get(f.prefill, "")
             for f in item.fields if f.prefill}
    form_post(wang, f"/apply/{FOOD}", {**typed, "premises_address": "城关镇", "contact_name": "王建国",
                                       "contact_phone": "13900000002", **answers_for(item)})
    number = apply_as_organisation(app, wang)
    with app.app_context():
        answers = db.session.scalar(select(Case.answers).where(Case.number == number))
    assert {answers[f.name] for f in item.fields if f.prefill in ("org_name", "uscc", "legal_rep")} == \
        {"镇原县建国农业科技有限公司", COMPANY, "王建国"}


def test_a_persons_items_and_an_organisations_are_kept_apart(app, wang):
    started = wang.get(f"/apply/{FOOD}")  # an organisation's item, asked for as a person
    assert started.status_code == 303 and started.headers["Location"].startswith("/org?next=")
    register(wang)
    refused = wang.get(f"/apply/{BIRTH}")
    assert refused.status_code in (400, 409, 422) and "切换回个人身份" in text(refused)
    number = apply_as_organisation(app, wang)
    form_post(wang, "/org", {}, post_url="/org/leave")
    assert wang.get(f"/my/{number}").status_code == 404  # not among his own cases
    assert number not in text(wang.get("/my"))


def test_an_organisations_item_is_offered_on_the_phone_only(app, client):
    from web.frontends import start_of

    item = app.extensions["catalog"].get(FOOD)
    assert "以单位名义在线申请" in text(client.get(f"/items/{FOOD}"))
    for path in (f"/kiosk/items/{FOOD}", f"/agent/r/1/apply/{FOOD}"):
        with app.test_request_context(path):
            assert start_of(item) is None  # kiosks and village agents serve villagers, not companies


@pytest.mark.usefixtures("staff")
def test_the_department_handles_an_organisations_case_to_an_electronic_result(app, wang):
    register(wang)
    number = apply_as_organisation(app, wang)
    with app.app_context():
        case = db.session.scalar(select(Case).where(Case.number == number))
        case_id, item = case.id, app.extensions["catalog"].get(case.item_code)
        assert (case.organisation_name, case.organisation_uscc) == ("镇原县建国农业科技有限公司", COMPANY)
    county = login(app, "shichang")
    queue = text(county.get("/office/"))
    assert number in queue and "镇原县建国农业科技有限公司" in queue
    assert number not in text(login(app, "chengguan").get("/office/"))  # a township's window does not see it
    page = text(county.get(f"/office/cases/{case_id}"))
    assert "申请单位" in page and COMPANY in page and "法定代表人 王建国" in page  # who applied, and as what

    def do(name, data=None, **kwargs):
        return form_post(county, f"/office/cases/{case_id}", data or {},
                         post_url=f"/office/cases/{case_id}/act/{name}", **kwargs)

    assert do("accept").status_code == 303
    material = item.required_materials[0].key
    assert do("supplement", {"materials": material, "note": "平面图看不清"}).status_code == 303
    response = form_post(wang, f"/my/{number}", {"material": material, "files": (io.BytesIO(images.pdf()), "平面图.pdf")},
                         content_type="multipart/form-data")
    assert response.status_code == 303
    assert form_post(wang, f"/my/{number}", {}, post_url=f"/my/{number}/resubmit").status_code == 303
    assert do("complete", {"decision": "approved"}).status_code == 303
    assert do("deliver", {"method": "electronic", "result": (io.BytesIO(images.pdf()), "食品经营许可证.pdf")},
              content_type="multipart/form-data").status_code == 303
    timeline = text(wang.get(f"/my/{number}"))
    assert "办理结果：食品经营许可证.pdf" in timeline
    result = re.search(r'href="([^"]+)">办理结果：食品经营许可证.pdf', timeline)
    assert result and wang.get(result.group(1)).status_code == 200
    form_post(wang, "/org", {}, post_url="/org/leave")  # as himself, not for the company: not his file
    assert wang.get(result.group(1)).status_code == 404
    public = text(wang.get("/public-cases"))
    assert "申请单位 镇原县建国农业科技有限公司" in public


def test_a_village_agents_consent_never_reaches_an_organisations_case(app, wang, agents):
    register(wang)
    number = apply_as_organisation(app, wang)
    agent = agents.signed_in("daiban1")
    mandate_id = agents.consent_by_sms(agent, WANG[1], WANG[2], WANG[0])  # 王建国's own, for every item
    assert number not in text(agent.get(f"/agent/r/{mandate_id}/")) and number not in text(agent.get("/agent/"))
    assert agent.get(f"/agent/r/{mandate_id}/my/{number}").status_code == 404


def test_a_legal_representative_replaced_in_the_registry_acts_no_more(app, wang, zhang, monkeypatch):
    from datetime import timedelta

    from services.people.business_registry import Registered

    register(wang)
    form_post(wang, "/org/people", {"name": ZHANG[1], "id_number": ZHANG[2], "months": "12"})
    registry = app.extensions["registry"].business_registry
    before = registry.lookup(COMPANY)
    monkeypatch.setitem(registry._entities, COMPANY, Registered(COMPANY, before.name, "刘桂芳", "622827198009182021",
                                                                before.address, "存续", True))
    # Changing anything reads the registry now: refused
    refused = form_post(wang, "/org/people", {"name": "李四", "id_number": factories.id_number("19800101", "111"),
                                              "months": "1"})
    assert refused.status_code == 422 and "不能以这个单位的名义办事" in text(refused)
    assert count(app, Authorisation) == 1
    # Acting reads it again within the hour: the old legal representative is out
    with app.app_context():
        organisation = db.session.scalar(select(Organisation))
        organisation.checked_at -= timedelta(hours=2)
        db.session.commit()
        organisation_id = organisation.id
    assert "以单位名义办事" not in text(wang.get("/my"))
    # and what he authorised lapses with him
    refused = form_post(zhang, "/org", {}, post_url=f"/org/{organisation_id}/enter")
    missing = form_post(zhang, "/org", {}, post_url=f"/org/{organisation_id + 99}/enter")
    assert refused.status_code == missing.status_code == 404 and text(refused).count("不能以这个单位的名义办事") == \
        text(missing).count("不能以这个单位的名义办事") >= 1  # the same answer: no telling which exist


def test_a_colleagues_upload_read_is_logged_and_steps_go_to_the_organisations_contact(app, wang, zhang):
    from services.outbox import OutboxMessage

    register(wang)
    form_post(wang, "/org/details", {"address": "城关镇南环路 18 号", "contact_name": "李会计",
                                     "contact_phone": "13912340000"})
    form_post(wang, "/org/people", {"name": ZHANG[1], "id_number": ZHANG[2], "months": "3"})
    with app.app_context():
        organisation_id = db.session.scalar(select(Organisation.id))
    form_post(zhang, "/org", {}, post_url=f"/org/{organisation_id}/enter")
    number = apply_as_organisation(app, zhang)
    with app.app_context():
        told = {m.recipient for m in db.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "sms"))
                if m.payload.get("case") == number}
    assert told == {"13912340000"}  # the organisation's contact, not the 经办人's own phone
    form_post(wang, "/org", {}, post_url=f"/org/{organisation_id}/enter")
    page = text(wang.get(f"/my/{number}"))
    link = re.search(r'href="(/files/[^"]+)"', page).group(1)
    assert wang.get(link).status_code == 200
    with app.app_context():
        assert "view_file" in db.session.scalars(select(AuditEntry.action)).all()


def test_a_department_system_pulling_an_organisations_case_is_told_the_organisation(app, wang):
    from services.department_api import new_cases

    register(wang)
    number = apply_as_organisation(app, wang, code="621027-SP-017")  # 环评报告表: 生态环境局's system hbj
    with app.app_context():
        pulled = next(c for c in new_cases("hbj", 0)[0] if c["number"] == number)
    assert pulled["organisation"] == {"name": "镇原县建国农业科技有限公司", "uscc": COMPANY}
    assert pulled["applicant"]["name"] == "王建国"  # who applied for it (经办人)


def test_without_a_registry_link_organisations_are_sent_to_the_window(app, wang, monkeypatch):
    from services.people.business_registry import NoBusinessRegistry

    monkeypatch.setattr(app.extensions["registry"], "business_registry", NoBusinessRegistry())
    refused = register(wang)
    assert refused.status_code == 422 and "还没有接入市场主体登记信息" in text(refused)
    assert count(app, Organisation) == 0
