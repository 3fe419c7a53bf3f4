"""A village agent (村代办员) on a 390x844 phone in Debian's Chromium: signs in, records a resident
and takes their consent by the SMS code the demo shows, applies for 高龄津贴 for them, keeps the
paper trail; a resident without a phone signs on the canvas and a second person of the village
confirms; a 补正 answered from the desk. Every agent page is checked by axe-core, measured for
sideways overflow and screenshotted into test-artifacts/."""
import re

from sqlalchemy import select

from extensions import db
from services.cases.lifecycle import Case, act
from services.people.actors import Actor
from services.people.consent import Mandate
from tests import factories, images
from tests.browser.conftest import PHONE
from tests.browser.steps import assert_accessible, enrol_authenticator
from tests.conftest import AGENT_PASSWORD, second_step_code

HIGH_AGE = "621027-BM-005"  # 高龄津贴申请: one material to upload (一卡通), the rest waived
ADMIN = Actor("staff", None, "测试管理员", role="admin")
DESKTOP = {"width": 1280, "height": 800}


def look(page, name: str, screenshot_dir=None) -> None:
    """axe-core finds nothing, nothing runs off the side of the screen; a screenshot if asked."""
    assert_accessible(page, name)
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, name
    if screenshot_dir is not None:
        page.screenshot(path=str(screenshot_dir / f"agent-{name}.png"), full_page=True)


def agent_login(app, page, base: str, username: str, shots=None) -> None:
    """The password, then the code the agent's authenticator shows (an account the test made is
    enrolled on the demo authenticator: enrolling has a test of its own, below)."""
    code = second_step_code(app, username, "agent")
    page.goto(base + "/agent/login")
    if shots is not None:
        look(page, "01-login", shots)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="两步验证", exact=True).wait_for()
    if shots is not None:
        look(page, "01-second-step", shots)
    page.get_by_label("验证码").fill(code)
    page.get_by_role("button", name="验证并登录").click()
    page.get_by_role("heading", name="代办工作台").wait_for()


def record_resident(page, name: str, number: str, phone: str = "", shots=None) -> None:
    page.get_by_role("link", name="登记群众", exact=True).click()
    page.get_by_role("heading", name="登记群众，取得委托").wait_for()
    if shots is not None:
        look(page, "03-resident-new", shots)
    page.get_by_label("群众姓名").fill(name)
    page.get_by_label("身份证号").fill(number)
    if phone:
        page.get_by_label("群众登记的手机号").fill(phone)
    page.get_by_role("button", name="下一步：请群众确认").click()
    page.get_by_role("heading", name="群众委托").wait_for()


def mandate_id_of(page) -> int:
    return int(re.search(r"/agent/consents/(\d+)", page.url).group(1))


def apply_for_high_age(page, name: str, number: str, tmp_path, shots=None) -> str:
    """From the resident's page: 高龄津贴 filled, 一卡通 uploaded, checked, submitted: the case number."""
    page.get_by_role("link", name=re.compile("高龄津贴申请")).click()
    page.get_by_role("heading", name="高龄津贴申请").wait_for()
    assert page.get_by_role("note").get_by_role("link", name="这位群众的首页").is_visible()
    if shots is not None:
        look(page, "06-apply-form", shots)
    assert page.get_by_label("到哪个乡镇办理").input_value() != ""  # the agent's own township, chosen
    page.get_by_label("老人姓名").fill(name)
    page.get_by_label("老人身份证号").fill(number)
    page.get_by_label("申请人与老人的关系").select_option("村代办员")
    page.get_by_label("一卡通账号").fill("6217000000000000")
    page.get_by_label("老人居住地址").fill("东关村三组")
    page.get_by_label("联系电话").fill("13900000099")
    page.get_by_role("button", name="保存，下一步").click()
    page.get_by_role("heading", name="上传材料").wait_for()
    photo = tmp_path / "yikatong.png"
    photo.write_bytes(images.png())
    bank = page.locator("#material-bank_account")
    bank.get_by_label("拍照或选择文件").set_input_files(str(photo))
    bank.get_by_role("button", name="上传").click()
    page.get_by_text("已上传：yikatong.png").wait_for()
    if shots is not None:
        look(page, "07-apply-materials", shots)
    page.get_by_role("link", name="下一步：核对").click()
    page.get_by_role("heading", name="核对后提交").wait_for()
    assert page.get_by_text("6217000000000000").is_visible()
    if shots is not None:
        look(page, "08-apply-check", shots)
    page.get_by_role("button", name="确认提交").click()
    page.get_by_role("heading", name="申请已提交").wait_for()
    if shots is not None:
        look(page, "09-receipt", shots)
    return page.locator(".receipt .number").inner_text().replace(" ", "")


def draw_signature(page) -> None:
    """A name written with the mouse inside the canvas: a few strokes."""
    pad = page.locator("canvas.signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    for stroke in ([(0.15, 0.3), (0.3, 0.7), (0.45, 0.3)], [(0.55, 0.5), (0.7, 0.35), (0.85, 0.65)]):
        page.mouse.move(x + w * stroke[0][0], y + h * stroke[0][1])
        page.mouse.down()
        for fx, fy in stroke[1:]:
            page.mouse.move(x + w * fx, y + h * fy, steps=8)
        page.mouse.up()


def test_agent_takes_consent_by_sms_code_and_applies_for_a_resident(
        app, agents, live_server, new_page, screenshot_dir, tmp_path):
    agents.create("daiban1")
    page = new_page()
    agent_login(app, page, live_server, "daiban1", screenshot_dir)
    look(page, "02-desk-empty", screenshot_dir)

    number = factories.id_number("19400302", "456")
    agents.resident("李䶮", number, "13900000011")  # a code only goes to a phone on record
    record_resident(page, "李䶮", number, "13900000011", screenshot_dir)
    mandate_id = mandate_id_of(page)
    banner = page.get_by_role("status").filter(has_text="演示环境")
    code = re.search(r"验证码 (\d{6})", banner.inner_text()).group(1)
    look(page, "04-consent-sms", screenshot_dir)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="确认委托").click()

    page.wait_for_url(f"**/agent/r/{mandate_id}/")
    page.get_by_role("heading", name=re.compile(r"^为 .+ 代办$")).wait_for()
    assert page.get_by_text("139****0011").is_visible()
    look(page, "05-resident", screenshot_dir)

    case_number = apply_for_high_age(page, "李䶮", number, tmp_path, screenshot_dir)
    with app.app_context():
        case = db.session.scalar(select(Case))
        assert (case.number, case.applicant_name, case.mandate_id) == (case_number, "李䶮", mandate_id)
        assert case.actor_kind == "agent"

    # The case on the resident's page, with the agent's paper trail (代办台账).
    page.get_by_role("link", name="这位群众的首页").click()
    page.locator(f"a[href='/agent/r/{mandate_id}/my/{case_number}']").click()
    page.get_by_role("heading", name="代办台账").wait_for()
    look(page, "10-my-case", screenshot_dir)

    page.get_by_role("link", name="记录收件清单").click()
    page.get_by_role("heading", name="收件清单").wait_for()
    look(page, "11-paper-form", screenshot_dir)
    page.get_by_role("button", name="保存并打印").click()  # nothing ticked: told so
    page.get_by_role("alert").filter(has_text="请勾选").wait_for()
    look(page, "11-paper-form-error")
    page.locator("input[name=keys]").first.check()
    page.get_by_role("button", name="保存并打印").click()
    page.get_by_text("交件人（群众）签字").wait_for()
    look(page, "12-paper", screenshot_dir)
    page.emulate_media(media="print")  # on paper: the form alone, no header, band, buttons or footer
    assert page.locator("article.letter").is_visible()
    for chrome in (".agent-top", ".acting-for", ".no-print", ".foot"):
        assert not page.locator(chrome).is_visible(), chrome
    page.screenshot(path=str(screenshot_dir / "agent-12-paper-print.png"), full_page=True)
    page.emulate_media(media="screen")

    page.goto(live_server + "/agent/")
    page.get_by_role("heading", name="办理中 1").wait_for()
    look(page, "13-desk", screenshot_dir)
    page.set_viewport_size(DESKTOP)  # the village service station's laptop
    look(page, "desktop-desk", screenshot_dir)
    page.goto(live_server + f"/agent/r/{mandate_id}/my/{case_number}")
    look(page, "desktop-my-case", screenshot_dir)
    page.set_viewport_size(PHONE)


def test_a_resident_without_a_phone_signs_and_a_second_person_confirms(
        app, agents, live_server, new_page, screenshot_dir, tmp_path):
    agents.create("daiban1")
    agents.create("cunwei1", role="committee", name="马德海")
    page = new_page()
    agent_login(app, page, live_server, "daiban1")
    record_resident(page, "马秀英", factories.id_number("19380505", "222"))
    mandate_id = mandate_id_of(page)
    consent_url = page.url
    page.get_by_role("heading", name=re.compile("群众没有登记手机")).wait_for()
    look(page, "20-consent-paper", screenshot_dir)

    page.goto(consent_url + "/letter")
    page.get_by_role("heading", name="授权委托书").wait_for()
    assert page.get_by_text("马秀英").first.is_visible()
    look(page, "21-letter", screenshot_dir)
    page.goto(consent_url)

    page.get_by_role("button", name="保存签名").click()  # nothing drawn yet: told so, nothing sent
    assert page.get_by_text("请先在框里签名").is_visible()
    draw_signature(page)
    page.get_by_role("button", name="保存签名").click()
    page.get_by_role("heading", name=re.compile("已签")).wait_for()
    signature = page.get_by_role("img", name="群众的手写签名")
    signature.evaluate("img => img.decode()")  # loaded and decoded, however slow the machine
    assert signature.evaluate("img => img.complete && img.naturalWidth") == 600
    letter = tmp_path / "letter.png"
    letter.write_bytes(images.png())
    page.get_by_label("选择或拍摄委托书照片").set_input_files(str(letter))
    page.get_by_role("button", name="上传照片").click()
    page.get_by_role("heading", name=re.compile("已上传")).wait_for()
    look(page, "22-consent-paper-filled", screenshot_dir)
    page.get_by_role("button", name="提交，请第二人确认").click()
    page.get_by_role("status").filter(has_text="等待本村另一位代办员或村委会确认").wait_for()
    look(page, "23-consent-confirming")
    with app.app_context():
        mandate = db.session.get(Mandate, mandate_id)
        assert mandate.status == "confirming" and mandate.signature_key and mandate.letter_key

    committee = new_page()  # another person, another browser
    agent_login(app, committee, live_server, "cunwei1")
    committee.get_by_role("link", name=re.compile("核对委托")).click()
    committee.get_by_role("heading", name="确认纸质委托").wait_for()
    assert committee.get_by_text("马秀英").is_visible()
    shown = committee.get_by_role("img", name="群众的手写签名")
    shown.evaluate("img => img.decode()")  # loaded and decoded, however slow the machine
    assert shown.evaluate("img => img.complete && img.naturalWidth") == 600  # the drawn PNG itself
    look(committee, "24-confirm", screenshot_dir)
    committee.get_by_text("核对无误，确认委托").click()
    committee.get_by_role("button", name="提交").click()
    committee.get_by_role("heading", name="代办工作台").wait_for()
    assert committee.get_by_role("heading", name=re.compile("待我确认的纸质委托")).count() == 0

    page.goto(live_server + f"/agent/r/{mandate_id}/")
    page.get_by_role("heading", name=re.compile(r"^为 .+ 代办$")).wait_for()
    assert page.get_by_text("没有手机").first.is_visible()
    with app.app_context():
        mandate = db.session.get(Mandate, mandate_id)
        assert (mandate.status, mandate.confirmed_by_name) == ("active", "马德海")


def test_agent_answers_a_supplement_request_from_the_desk(app, agents, live_server, new_page, screenshot_dir,
                                                          tmp_path):
    from tests.web.test_agent import _apply

    number = factories.id_number("19400101", "123")
    client = agents.signed_in("daiban1")  # the case made quickly, through the pages by test client
    mandate_id = agents.consent_by_sms(client, "张桂兰", number, "13900000001")
    _apply(client, mandate_id, "张桂兰", number)
    with app.app_context():
        case = db.session.scalar(select(Case))
        act(case, "accept", ADMIN)
        material = app.extensions["catalog"].get(HIGH_AGE).required_materials[0]
        act(case, "supplement", ADMIN, "一卡通照片看不清账号", {"materials": [material.key]})
        case_number = case.number

    page = new_page()
    agent_login(app, page, live_server, "daiban1")
    heading = page.get_by_role("heading", name="需要补正 1")
    assert heading.is_visible()
    heading.locator("xpath=following-sibling::ul[1]").get_by_role("link").click()
    page.wait_for_url(f"**/agent/r/{mandate_id}/my/{case_number}")
    page.locator("#supplement").get_by_text("一卡通照片看不清账号").wait_for()
    look(page, "30-supplement", screenshot_dir)
    photo = tmp_path / "clear.png"
    photo.write_bytes(images.png())
    page.get_by_label("选择" + material.name).set_input_files(str(photo))
    page.get_by_role("button", name="上传", exact=True).click()
    page.get_by_text("已补传").wait_for()
    page.get_by_role("button", name="补正完成，重新提交").click()
    page.get_by_text("补正材料已提交").first.wait_for()
    look(page, "31-supplement-done")
    with app.app_context():
        case = db.session.scalar(select(Case))
        assert case.status == "accepted" and case.events[-1].actor_kind == "agent"
    page.goto(live_server + "/agent/")
    assert page.get_by_role("heading", name="需要补正 0").is_visible()


def test_every_page_an_agent_opens_for_a_resident_passes_axe(app, agents, live_server, new_page, screenshot_dir):
    """The shared pages in the agent's layout beyond applying: cases, queries, payments, bookings,
    and the page a disabled agent meets — accessible and within the phone's width."""
    from commands import DATA
    from services.appointments import load_hospitals, open_coming_week

    with app.app_context():
        load_hospitals(DATA / "hospitals.toml")
        open_coming_week()
    agents.create("daiban1")
    number = factories.id_number("19500101", "333")
    agents.resident("王𠈌", number, "13900000012")
    page = new_page()
    agent_login(app, page, live_server, "daiban1")
    record_resident(page, "王𠈌", number, "13900000012")
    mandate_id = mandate_id_of(page)
    code = re.search(r"验证码 (\d{6})", page.get_by_role("status").filter(has_text="演示环境").inner_text()).group(1)
    page.get_by_label("短信验证码").fill(code)
    page.get_by_role("button", name="确认委托").click()
    page.wait_for_url(f"**/agent/r/{mandate_id}/")
    base = f"{live_server}/agent/r/{mandate_id}"
    for name, path in (("40-my-cases", "/my"), ("41-query-pension", "/query/621027-BM-002"),
                       ("42-query-subsidies", "/query/621027-BM-003"), ("43-pay", "/pay/621027-BM-011"),
                       ("44-book", "/book"), ("45-bookings", "/bookings")):
        page.goto(base + path)
        assert page.url.startswith(base), (name, page.url)  # served in the agent's area, not sent away
        look(page, name, screenshot_dir)
    page.goto(base + "/book")
    page.locator("a[href*='/book/dept/']").first.click()
    look(page, "46-book-sessions", screenshot_dir)
    with app.app_context():
        from services.people.agents import Agent, set_active

        set_active(ADMIN, db.session.scalar(select(Agent.id).where(Agent.username == "daiban1")), False)
    page.goto(base + "/my")
    look(page, "47-disabled", screenshot_dir)


def test_a_new_agent_enrols_two_step_sign_in_then_sets_a_password_of_their_own(
        app, agents, live_server, new_page, screenshot_dir):
    from services.people.agents import create_agent
    from services.places import Village, load_villages
    from tests.conftest import ROOT, VILLAGES

    with app.app_context():  # as the township administrator's form makes it: the code to hand over
        load_villages(ROOT / "data" / "villages.toml")
        village_id = db.session.scalar(select(Village.id).where(Village.code == VILLAGES["东关"]))
        handover = create_agent(ADMIN, "daiban2", AGENT_PASSWORD, "赵红梅", village_id)
    page = new_page()
    page.goto(live_server + "/agent/login")
    page.get_by_label("用户名").fill("daiban2")
    page.get_by_label("密码").fill(AGENT_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("heading", name="开通两步验证").wait_for()
    look(page, "00-enrol", screenshot_dir)
    assert page.locator(".qr-box svg").is_visible() and "乡镇便民服务中心的管理员" in page.inner_text("main")
    enrol_authenticator(page, handover.enrolment_code)
    look(page, "00-recovery-codes", screenshot_dir)
    page.get_by_role("link", name="我已保存好，继续").click()
    page.locator("[data-password-first]").wait_for()
    look(page, "00-first-password", screenshot_dir)
    page.get_by_label("当前密码").fill(AGENT_PASSWORD)
    page.get_by_label("新密码").fill("Sorghum-kettle-41")
    page.get_by_role("button", name="修改密码").click()
    page.get_by_role("heading", name="代办工作台").wait_for()
    page.get_by_role("link", name="账号安全").click()
    page.get_by_role("heading", name="两步验证").wait_for()
    assert "还剩 10 个" in page.inner_text("main").replace("\n", "")
    look(page, "00-account-security", screenshot_dir)
