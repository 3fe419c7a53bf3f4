"""A villager on a 390x844 phone: sign in with the shown code, apply for 生育登记 with a photo,
reach the receipt, decode its QR and barcode from a screenshot, follow the link."""
import io
import re

import zxingcpp
from PIL import Image

from tests import factories, images
from tests.browser.steps import sign_in_with_shown_code

BIRTH = "/items/621027-BM-004"
ID_NUMBER = factories.id_number("19900303", "222")  # a woman: she is 女方 on the form


def sign_in(page, base, phone="13900000001"):
    page.goto(base + BIRTH)
    page.get_by_role("link", name="在线申请").click()
    sign_in_with_shown_code(page, phone)
    page.get_by_label("姓名").fill("李秀英")
    page.get_by_label("身份证号").fill(ID_NUMBER)
    page.get_by_role("button", name="确认").click()


def apply_for_birth_registration(page, tmp_path):
    page.get_by_label("到哪个乡镇办理").select_option(label="城关镇")
    page.get_by_label("男方姓名").fill("王建国")
    page.get_by_label("男方身份证号").fill(factories.id_number("19880808", "111"))
    page.get_by_label("本次登记的是第几个孩子").select_option("第二个")
    page.get_by_label("预产期或出生日期").fill("2027-03-01")
    page.get_by_label("现居住地址").fill("城关镇东关村三组")
    page.get_by_role("button", name="保存，下一步").click()
    photo = tmp_path / "proof.jpg"
    photo.write_bytes(images.photo_with_gps())
    page.locator("#files-pregnancy_proof").set_input_files(str(photo))
    page.get_by_role("button", name="上传").click()
    page.get_by_text("已上传：proof.jpg").wait_for()  # wait for the page, then look (is_visible does not wait)
    page.get_by_role("link", name="下一步：核对").click()
    page.get_by_role("heading", name="核对后提交").wait_for()
    assert page.get_by_text("王建国").is_visible()
    page.get_by_role("button", name="确认提交").click()
    page.get_by_role("heading", name="申请已提交").wait_for()


def decode(png: bytes):
    return {r.format.name: r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))}


def test_apply_on_a_phone_and_scan_the_receipt(live_server, new_page, screenshot_dir, tmp_path):
    page = new_page()
    sign_in(page, live_server)
    apply_for_birth_registration(page, tmp_path)
    number = page.locator(".receipt .number").inner_text().replace(" ", "")
    shot = page.screenshot(full_page=True)
    (screenshot_dir / "phone-receipt.png").write_bytes(shot)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    codes = decode(page.locator(".codes").screenshot())
    assert codes["Code128"] == number
    link = codes["QRCode"]
    assert re.fullmatch(rf"http://localhost/t/{number}\?k=[A-Za-z0-9_-]{{43}}", link)
    visitor = new_page()
    visitor.goto(live_server + link.removeprefix("http://localhost"))
    assert visitor.locator("h1").inner_text() == "办理进度"
    assert visitor.get_by_text("提交申请").is_visible()
    assert visitor.get_by_text("申请人 李**").is_visible()


def test_receipt_codes_scan_from_paper(live_server, new_page, tmp_path):
    """Print to PDF at A4 and 80 mm, rasterise at a printer's 203 dpi, decode."""
    import subprocess

    page = new_page()
    sign_in(page, live_server, phone="13900000002")
    apply_for_birth_registration(page, tmp_path)
    number = page.locator(".receipt .number").inner_text().replace(" ", "")
    for name, url in [("a4", page.url), ("80mm", page.url + "?paper=80mm")]:
        page.goto(url)
        pdf = tmp_path / f"{name}.pdf"
        page.pdf(path=str(pdf), print_background=True, prefer_css_page_size=True)  # the page's @page size
        subprocess.run(["pdftoppm", "-r", "203", "-gray", "-png", "-f", "1", "-l", "1", str(pdf),
                        str(tmp_path / name)], check=True)
        found = decode(next(tmp_path.glob(f"{name}*.png")).read_bytes())  # both codes on page one
        assert found.get("Code128") == number, name
        assert f"/t/{number}?k=" in found.get("QRCode", ""), name


def test_application_pages_have_no_accessibility_violations(live_server, new_page, tmp_path):
    from axe_playwright_python.sync_playwright import Axe

    page = new_page()
    sign_in(page, live_server, phone="13900000003")
    checked = []

    def check(name):
        result = Axe().run(page)
        assert result.violations_count == 0, (name, result.generate_report())
        checked.append(name)

    page.get_by_role("button", name="保存，下一步").click()  # every field empty: errors shown
    check("form with errors")
    page.goto(live_server + "/apply/621027-BM-004/materials")
    check("materials")
    page.goto(live_server + "/apply/621027-BM-004/check")
    check("check answers")
    page.goto(live_server + "/track")
    check("lookup")
    page.goto(live_server + "/apply/621027-BM-004")
    apply_for_birth_registration(page, tmp_path)
    check("receipt")
    page.goto(live_server + "/my")
    check("my cases")
    page.locator(".item-row a").first.click()
    check("my case")
    assert len(checked) == 7
