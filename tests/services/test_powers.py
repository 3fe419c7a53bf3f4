"""权责清单: data files beside the catalog, validated at start-up the same way."""
import shutil
from pathlib import Path

import pytest

from services.catalog import load_catalog
from services.errors import CatalogError
from services.powers import KIND_NAMES, load_powers
from tests.services.test_catalog import CATALOG
from wsgi import create_app

POWERS = Path(__file__).resolve().parents[2] / "powers"
LOW_INCOME = "621027-BM-006"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(CATALOG)


def _broken_copy(tmp_path, name, old, new):
    target = tmp_path / "powers"
    shutil.copytree(POWERS, target)
    path = target / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def test_every_department_of_the_catalog_has_a_list_and_every_item_its_entry(catalog):
    powers = load_powers(POWERS, catalog)
    assert len(powers.departments) >= 12 and sum(len(dl.powers) for _, dl in powers.departments) >= 100
    for item in catalog.items:
        entry = powers.for_item(item.code)
        assert (entry is None) == (item.section == "special"), item.code
    kinds = {kind for kind, _, _ in powers.kinds()}
    assert {"licensing", "penalty", "benefit", "public_service", "inspection", "confirmation"} <= kinds
    assert kinds <= set(KIND_NAMES)


@pytest.mark.parametrize("old,new,field", [
    ('kind = "benefit"', 'kind = "grant"', "powers.0.kind"),
    ('body = "镇原县民政局"', 'body = ""', "powers.0.body"),
    ('levels = ["county", "township", "village"]', 'levels = ["province"]', "powers.0.levels.0"),
    ('code = "MZ-JF-001"', 'code = "mz 1"', "powers.0.code"),
    ('department = "镇原县民政局"', 'department = "镇原县民政局"\ncolour = "red"', "colour"),
    ('order = 50', 'order = 50 50', "(语法)"),
    ('code = "MZ-JF-002"', 'code = "MZ-JF-001"', "(整个文件)"),  # a code twice in one list
    (f'item = "{LOW_INCOME}"', 'item = "621027-BM-099"', "powers.1.item"),  # no such catalog item
    (f'item = "{LOW_INCOME}"', 'item = "621027-BM-005"', "powers.1.item"),  # an item claimed twice
])
def test_a_broken_list_names_the_file_and_the_field(tmp_path, catalog, old, new, field):
    directory = _broken_copy(tmp_path, "mz.toml", old, new)
    with pytest.raises(CatalogError) as caught:
        load_powers(directory, catalog)
    message = str(caught.value)
    assert "权责清单文件" in message and "mz.toml" in message and field in message


def test_a_code_used_by_two_departments_and_an_item_without_an_entry_are_refused(tmp_path, catalog):
    directory = _broken_copy(tmp_path, "ga.toml", 'code = "GA-', 'code = "MZ-JF-001"\nold_code = "GA-')
    with pytest.raises(CatalogError):
        load_powers(directory, catalog)
    directory = _broken_copy(tmp_path / "b", "mz.toml", f'item = "{LOW_INCOME}"\n', "")
    with pytest.raises(CatalogError, match=f"{LOW_INCOME}.*没有对应的条目"):
        load_powers(directory, catalog)


def test_a_broken_list_stops_start_up(tmp_path):
    directory = _broken_copy(tmp_path, "mz.toml", 'kind = "benefit"', 'kind = "grant"')
    with pytest.raises(CatalogError, match="mz.toml"):
        create_app({"POWERS_DIR": str(directory), "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_search_and_browse_by_department_and_kind(catalog):
    powers = load_powers(POWERS, catalog)
    found = [p.name for _, p in powers.find("最低生活保障")]
    assert "最低生活保障审核确认及保障金给付" in found
    assert all(key == "mz" for key, _ in powers.find("", department="mz"))
    assert all(p.kind == "penalty" for _, p in powers.find("", kind="penalty"))
    assert powers.find("最低生活保障 处罚不存在的词") == []
    assert powers.find("社会救助暂行办法")  # the basis is searched too
