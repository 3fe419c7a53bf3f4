"""An enterprise applies online, end to end, in real Chromium: its legal representative signs in
on a 390x844 phone, adds the company by its 统一社会信用代码, keeps its details, applies for 食品经营许可
with the details prefilled and the materials uploaded; the county's 市场监管局 accepts at a desk,
asks for 补正; the company answers it; the department approves and hands over the electronic
licence, which the company opens. axe-core on every page; screenshots kept."""
import re

from commands import DATA, seed_demo_staff
from tests import images
from tests.browser.conftest import PHONE
from tests.browser.steps import sign_in_with_shown_code
from tests.browser.test_agent_console import DESKTOP, login
from tests.browser.test_county import look

FOOD = "621027-SP-012"


def _upload(page, key: str, path) -> None:
    page.locator(f"#files-{key}").set_input_files(str(path))
    page.locator(f"#files-{key}").locator("xpath=ancestor::form").get_by_role("button", name="上传").click()


def test_an_enterprise_applies_and_receives_an_electronic_licence(app, live_server, new_page, screenshot_dir, tmp_path):
    with app.app_context():
        seed_demo_staff(DATA / "demo_staff.toml")
    pdf = tmp_path / "平面图.pdf"
    pdf.write_bytes(images.pdf())
    phone = new_page(viewport=PHONE)
    phone.goto(f"{live_server}/items/{FOOD}")
    look(phone, "enterprise-guide-phone", screenshot_dir)
    phone.get_by_role("link", name="以单位名义在线申请").click()
    sign_in_with_shown_code(phone, "13900000002")
    phone.get_by_label("姓名").fill("王建国")
    phone.get_by_label("身份证号").fill("622827196508201136")
    phone.get_by_role("button", name="确认").click()
    phone.get_by_role("link", name="不用了，保持现在这样").click()  # he is 61: 长辈版 is offered once
    # Not acting for a company yet: choose or add one, then back to the application
    phone.get_by_role("heading", name="单位办事").wait_for()
    phone.get_by_label("统一社会信用代码").fill("91621027MA71A2B3C9")  # one character wrong
    phone.get_by_role("button", name="查询并登记").click()
    phone.get_by_text("校验码对不上").wait_for()
    look(phone, "enterprise-refused-phone", screenshot_dir)
    phone.get_by_label("统一社会信用代码").fill("91621027ma71a2b3c8")  # lower case is fine
    phone.get_by_role("button", name="查询并登记").click()
    phone.get_by_role("heading", name="单位信息").wait_for()
    assert phone.get_by_text("镇原县建国农业科技有限公司").first.is_visible()
    look(phone, "enterprise-details-phone", screenshot_dir)
    phone.get_by_label("经营场所").fill("镇原县城关镇南环路 18 号一楼")
    phone.get_by_label("联系人", exact=True).fill("李会计")
    phone.get_by_label("联系人手机号").fill("13912340000")
    phone.get_by_role("button", name="保存").click()

    # The form: the company's details filled in, the item's own questions asked
    phone.get_by_label("主体业态").wait_for()
    assert phone.get_by_label("经营者名称").input_value() == "镇原县建国农业科技有限公司"
    assert phone.get_by_label("统一社会信用代码").input_value() == "91621027MA71A2B3C8"
    assert phone.get_by_label("经营场所", exact=True).input_value() == "镇原县城关镇南环路 18 号一楼"
    look(phone, "enterprise-form-phone", screenshot_dir)
    phone.get_by_label("主体业态").select_option("餐饮服务经营者")
    phone.get_by_label("经营项目").fill("热食类食品制售")
    phone.get_by_label("经营场所面积（平方米）").fill("86")
    phone.get_by_label("食品安全管理人员").fill("赵敏")
    phone.get_by_label("许可证送达方式").select_option(index=1)
    phone.get_by_role("button", name="保存，下一步").click()
    for key in ("layout_documents", "safety_rules"):
        _upload(phone, key, pdf)
        phone.get_by_text("已上传：平面图.pdf").first.wait_for()
    look(phone, "enterprise-materials-phone", screenshot_dir)
    phone.get_by_role("link", name="下一步：核对").click()
    look(phone, "enterprise-check-phone", screenshot_dir)
    phone.get_by_role("button", name="确认提交").click()
    phone.get_by_role("heading", name="申请已提交").wait_for()
    number = phone.locator(".receipt .number").inner_text().replace(" ", "")
    look(phone, "enterprise-receipt-phone", screenshot_dir)

    # The county's 市场监管局 at its desk
    desk = new_page(viewport=DESKTOP)
    login(desk, live_server, "shichang", "Review-demo-2026", app)
    desk.get_by_role("link", name=number).click()
    desk.get_by_text("申请单位").wait_for()
    assert desk.get_by_text("镇原县建国农业科技有限公司").first.is_visible()
    look(desk, "enterprise-case-desktop", screenshot_dir)
    desk.get_by_role("button", name="受理", exact=True).click()
    desk.get_by_role("button", name="要求补正").wait_for()
    desk.locator('input[name="materials"][value="layout_documents"]').check()
    desk.locator("#note-supplement").fill("平面图未标明加工操作区，请重新上传")
    desk.get_by_role("button", name="要求补正").click()
    desk.get_by_text("需要补正材料").first.wait_for()

    # The company answers on the phone
    phone.goto(f"{live_server}/my/{number}")
    phone.get_by_text("平面图未标明加工操作区").first.wait_for()
    look(phone, "enterprise-supplement-phone", screenshot_dir)
    phone.locator("#material-layout_documents input[type=file]").set_input_files(str(pdf))
    phone.locator("#material-layout_documents").get_by_role("button", name="上传").click()
    phone.get_by_text("已补传").wait_for()
    phone.get_by_role("button", name="补正完成，重新提交").click()
    phone.get_by_text("补正材料已提交").first.wait_for()

    # Approved; the electronic licence handed over and opened
    desk.reload()
    desk.get_by_label("准予", exact=True).check()
    desk.get_by_role("button", name="办结", exact=True).click()
    desk.get_by_text("办结：准予").first.wait_for()
    licence = tmp_path / "食品经营许可证.pdf"
    licence.write_bytes(images.pdf())
    desk.get_by_label("电子结果", exact=True).check()
    desk.locator('input[type="file"][name="result"]').set_input_files(str(licence))
    desk.get_by_role("button", name="送达", exact=True).click()
    desk.get_by_text("结果已送达").first.wait_for()
    phone.goto(f"{live_server}/my/{number}")
    link = phone.get_by_role("link", name=re.compile("办理结果：食品经营许可证"))
    look(phone, "enterprise-done-phone", screenshot_dir)
    with phone.expect_response(lambda r: r.url.endswith(link.get_attribute("href"))) as opened:
        phone.evaluate("href => fetch(href)", link.get_attribute("href"))
    assert opened.value.status == 200
    # The legal representative's own pages: the organisation acted for, and its 经办人
    phone.goto(f"{live_server}/org")
    look(phone, "enterprise-org-phone", screenshot_dir)
    phone.get_by_role("link", name="经办人授权").click()
    phone.get_by_label("经办人姓名").fill("张桂兰")
    phone.get_by_label("经办人身份证号").fill("622827195803150023")
    phone.get_by_label("3 个月").check()
    phone.get_by_role("button", name="授权", exact=True).click()
    phone.get_by_role("button", name="收回授权").wait_for()
    look(phone, "enterprise-people-phone", screenshot_dir)
