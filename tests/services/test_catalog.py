import shutil
from pathlib import Path

import pytest

from services.catalog import load_catalog
from services.errors import CatalogError, NotFound
from wsgi import create_app

CATALOG = Path(__file__).resolve().parents[2] / "catalog"
BIRTH = "621027-BM-004"

CONVENIENCE = [
    ("住房公积金查询", "query"), ("城乡居民养老保险权益查询", "query"), ("惠民惠农补贴查询", "query"),
    ("生育登记", "apply"), ("高龄津贴申请", "apply"), ("最低生活保障申请", "apply"),
    ("残疾人证申领", "apply"), ("户籍证明开具", "apply"), ("临时救助申请", "apply"),
    ("预约挂号", "appointment"), ("城乡居民养老保险缴费", "payment"), ("城乡居民医保缴费", "payment"),
]


def test_catalog_holds_the_twelve_convenience_services_with_their_kinds():
    catalog = load_catalog(CATALOG)
    assert [(i.name, i.kind) for i in catalog.in_section("convenience")] == CONVENIENCE


def test_catalog_holds_the_plans_approval_and_special_items():
    catalog = load_catalog(CATALOG)
    approval = {i.name for i in catalog.in_section("approval")}
    assert {"投资项目审批", "公司名称预先审核", "建筑施工企业资质认定"} <= approval
    assert [i.name for i in catalog.in_section("special")] == ["办事进度查询", "办件公示", "权责清单查询"]


def test_every_apply_item_has_materials_to_upload_or_fields_to_fill():
    for item in load_catalog(CATALOG).items:
        if item.kind == "apply" and item.section == "convenience":
            assert item.fields, item.code
            assert item.required_materials, item.code


def _broken_copy(tmp_path, code, old, new):
    target = tmp_path / "catalog"
    shutil.copytree(CATALOG, target)
    path = target / f"{code}.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {code}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize("old,new,field", [
    ('kind = "apply"', 'kind = "approve"', "kind"),
    ('department = "镇原县卫生健康局"\n', "", "department"),
    ("promised_days = 1", "promised_days = 9", "(整个文件)"),
    ('phone = "0934-8621563"', 'phone = "电话"', "window.phone"),
    ('waived_note = "通过全国婚姻登记信息共享核验，不用再交（减证便民）。"', 'waived_note = ""', "materials.1"),
    ('levels = ["county", "township", "village"]', 'levels = ["province"]', "levels.0"),
    ('name = "child_order"', 'name = "due_date"', "(整个文件)"),
    ('name = "生育登记"', 'name = "生育登记"\ncolour = "red"', "colour"),
    ('legal_days = 5', 'legal_days = 5 5', "(语法)"),
    ('options = ["第一个", "第二个", "第三个及以上"]', "options = []", "fields.4"),
])
def test_broken_catalog_file_names_the_file_and_the_field(tmp_path, old, new, field):
    directory = _broken_copy(tmp_path, BIRTH, old, new)
    with pytest.raises(CatalogError) as caught:
        load_catalog(directory)
    message = str(caught.value)
    assert f"{BIRTH}.toml" in message
    assert field in message


def test_file_name_must_match_the_item_code(tmp_path):
    directory = tmp_path / "catalog"
    shutil.copytree(CATALOG, directory)
    (directory / f"{BIRTH}.toml").rename(directory / "birth.toml")
    with pytest.raises(CatalogError, match=r"birth\.toml.*code"):
        load_catalog(directory)


def test_a_broken_catalog_stops_start_up(tmp_path):
    directory = _broken_copy(tmp_path, BIRTH, 'kind = "apply"', 'kind = "approve"')
    with pytest.raises(CatalogError, match=BIRTH):
        create_app({"CATALOG_DIR": str(directory), "SECRET_KEY": "x",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_adding_an_item_is_adding_a_file(tmp_path):
    directory = tmp_path / "catalog"
    shutil.copytree(CATALOG, directory)
    text = (directory / f"{BIRTH}.toml").read_text(encoding="utf-8")
    text = text.replace(BIRTH, "621027-BM-013").replace('name = "生育登记"', 'name = "再生育登记"')
    (directory / "621027-BM-013.toml").write_text(text, encoding="utf-8")
    catalog = load_catalog(directory)
    assert catalog.get("621027-BM-013").name == "再生育登记"
    assert len(catalog.in_section("convenience")) == 13


@pytest.mark.parametrize("query,first", [
    ("公积金", "住房公积金查询"),
    ("低保", "最低生活保障申请"),
    ("挂号", "预约挂号"),
    ("残疾", "残疾人证申领"),
    ("户口", "户籍证明开具"),
    ("医保", "城乡居民医保缴费"),
    ("公司", "公司名称预先审核"),
    ("进度", "办事进度查询"),
])
def test_search_finds_an_item_by_a_word_of_its_name(query, first):
    assert load_catalog(CATALOG).search(query)[0].name == first


def test_search_needs_every_word_to_match():
    catalog = load_catalog(CATALOG)
    found = [i.name for i in catalog.search("养老 缴费")]
    assert found[0] == "城乡居民养老保险缴费"
    assert "城乡居民医保缴费" not in found  # matches 缴费 but not 养老
    assert catalog.search("养老 不存在的词") == []
    assert catalog.search("   ") == []


def test_fully_online_means_no_visit_and_an_online_channel():
    catalog = load_catalog(CATALOG)
    assert catalog.get(BIRTH).fully_online
    disability = catalog.get("621027-BM-007")
    assert disability.visits == 1 and not disability.fully_online


def test_unknown_code_is_not_found():
    with pytest.raises(NotFound):
        load_catalog(CATALOG).get("NOPE")


def test_a_guide_says_online_only_for_what_can_be_done_here(tmp_path):
    """An approval item goes online only for organisations (法人), who can apply here; one a
    person applies for stays at the window, so its guide can never claim 全程网办."""
    catalog = load_catalog(CATALOG)
    online = [i for i in catalog.in_section("approval") if "online" in i.channels]
    assert online and all(i.applicant == "organisation" and i.applied_for_online for i in online)
    assert all(not i.applied_for_online for i in catalog.in_section("approval") if "online" not in i.channels)
    directory = _broken_copy(tmp_path, "621027-SP-008", 'channels = ["window"]', 'channels = ["online", "window"]')
    with pytest.raises(CatalogError, match="621027-SP-008.toml.*organisation"):
        load_catalog(directory)


def test_organisation_details_prefill_only_an_organisations_item(tmp_path):
    directory = _broken_copy(tmp_path, "621027-BM-004", 'prefill = "name"', 'prefill = "org_name"')
    with pytest.raises(CatalogError, match="621027-BM-004.toml.*单位"):
        load_catalog(directory)


def test_a_guide_offers_village_agents_only_what_they_can_do(tmp_path):
    directory = _broken_copy(tmp_path, "621027-SP-008", 'channels = ["window"]', 'channels = ["window", "agent"]')
    with pytest.raises(CatalogError, match="621027-SP-008.toml.*agent"):
        load_catalog(directory)


def test_an_organisations_item_is_never_offered_to_village_agents():
    catalog = load_catalog(CATALOG)
    assert all(not i.by_agent for i in catalog.items if i.applicant == "organisation")
