"""Applying through services: the catalog's rules for each field and across fields, only clean
answers stored, materials known by key, and who acted kept apart from whom it is for."""
import shutil
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import select

from extensions import db
from services.people import actors
from services.catalog import load_catalog
from services.cases.drafts import add_files, check_answers, open_draft, save_answers, submit_draft
from services.cases.materials import Upload
from services.places import township_choices
from tests import factories, images
from tests.services.test_catalog import CATALOG

BIRTH = "621027-BM-004"
WOMAN, MAN = factories.id_number("19900303", "222"), factories.id_number("19880808", "111")
GOOD = {"wife_name": "李秀英", "wife_id_number": WOMAN, "husband_name": "阿卜杜·热合曼", "husband_id_number": MAN,
        "child_order": "第二个", "due_date": "2027-03-01", "address": "城关镇东关村三组", "phone": "13900000001".translate(str.maketrans("0123456789", "０１２３４５６７８９"))}


@pytest.mark.parametrize("changes,field,message", [
    ({"wife_id_number": MAN, "husband_id_number": WOMAN}, "wife_id_number", "应是女性的身份证号"),
    ({"husband_id_number": WOMAN}, "husband_id_number", "应是男性的身份证号"),
    ({"husband_id_number": factories.id_number("19900303", "222")}, "husband_id_number", "男性"),
    ({"wife_name": "李秀英1"}, "wife_name", "姓名只能是汉字"),
    ({"address": "东关村\u202e三组"}, "address", "控制字符"),
    ({"due_date": "0001-01-01"}, "due_date", "日期应在"),
])
def test_each_fields_rules_come_from_the_catalog(catalog, changes, field, message):
    answers, errors = check_answers(catalog.get(BIRTH), {**GOOD, **changes})
    assert message in errors[field]


def test_two_fields_that_must_differ_are_refused_when_equal(catalog):
    woman2 = factories.id_number("19910303", "224")
    answers, errors = check_answers(catalog.get(BIRTH), {**GOOD, "husband_id_number": woman2})
    assert "男性" in errors["husband_id_number"]
    item = catalog.get("621027-BM-004").model_copy(update={"fields": [
        f.model_copy(update={"sex": None}) for f in catalog.get(BIRTH).fields]})
    answers, errors = check_answers(item, {**GOOD, "husband_id_number": WOMAN})
    assert errors == {"husband_id_number": "不能与女方身份证号相同"}


def test_an_age_limit_is_checked_on_the_id_number(catalog):
    item = catalog.get("621027-BM-005")  # 高龄津贴: 80 and over
    answers, errors = check_answers(item, {"elder_id_number": factories.id_number("19700101", "111")})
    assert "年满 80 周岁" in errors["elder_id_number"]
    answers, errors = check_answers(item, {"elder_id_number": factories.id_number("19400101", "111")})
    assert "elder_id_number" not in errors


def test_answers_are_stored_clean_and_wrong_ones_not_at_all(app, catalog):
    with app.app_context():
        person = factories.person(name="李秀英", seq="222")
        item = catalog.get(BIRTH)
        draft = open_draft(actors.citizen(person), person, item)
        errors = save_answers(draft, item, {**GOOD, "address": "<script>x</script>"}, str(township_choices()[0][0]))
        assert list(errors) == ["address"]
        assert draft.answers["phone"] == "13900000001" and draft.answers["husband_name"] == "阿卜杜·热合曼"
        assert "script" not in str(draft.answers)


def test_an_agent_and_the_resident_fill_separate_drafts_and_the_case_records_who_acted(app, catalog):
    with app.app_context():
        person = factories.person(name="李秀英", seq="222")
        agent = actors.Actor("agent", 7, "东关村代办员 王芳")
        item = catalog.get(BIRTH)
        own, for_her = open_draft(actors.citizen(person), person, item), open_draft(agent, person, item)
        assert own.id != for_her.id and for_her.person_id == person.id and for_her.actor_kind == "agent"
        save_answers(for_her, item, GOOD, str(township_choices()[0][0]))
        [upload] = add_files(app.extensions["storage"], for_her, item, "pregnancy_proof",
                             [("p.jpg", images.photo_with_gps())], agent)
        assert (upload.owner_id, upload.actor_kind, upload.actor_id) == (person.id, "agent", 7)
        case = submit_draft(agent, person, item, for_her.key)
        assert case.applicant_id == person.id and (case.actor_kind, case.actor_id) == ("agent", 7)
        assert case.events[0].actor_kind == "agent"
        assert submit_draft(agent, person, item, for_her.key).id == case.id  # a double tap


def test_reordering_a_catalog_file_does_not_relabel_stored_uploads(app, catalog, tmp_path):
    with app.app_context():
        person = factories.person(name="李秀英", seq="222")
        item = catalog.get(BIRTH)
        draft = open_draft(actors.citizen(person), person, item)
        add_files(app.extensions["storage"], draft, item, "pregnancy_proof", [("p.jpg", images.photo_with_gps())],
                  actors.citizen(person))
        key = db.session.scalar(select(Upload.material_key))
    folder = tmp_path / "catalog"
    shutil.copytree(CATALOG, folder)
    path = Path(folder) / f"{BIRTH}.toml"
    text = path.read_text(encoding="utf-8")
    first = text.index("[[materials]]")
    last = text.index("[[fields]]")
    blocks = text[first:last].split("[[materials]]")[1:]
    path.write_text(text[:first] + "".join("[[materials]]" + b for b in reversed(blocks)) + text[last:],
                    encoding="utf-8")
    reordered = load_catalog(folder).get(BIRTH)
    assert [m.key for m in reordered.materials][0] == "pregnancy_proof"
    assert reordered.material(key).name == "妊娠诊断证明或孕产妇保健手册首页"
    assert tomllib.loads(path.read_text(encoding="utf-8"))["materials"][0]["key"] == key
