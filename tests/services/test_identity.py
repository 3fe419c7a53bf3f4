from datetime import date

import pytest

from extensions import db
from services.errors import DomainError
from services.identity import (age_on, check_id_number, find_or_create_person, mask_id_number,
                               mask_name, mask_phone, normalise_phone, verify_real_name)
from tests import factories


@pytest.mark.parametrize("raw,phone", [("139 0000 0001", "13900000001"), ("+86 13900000001", "13900000001"),
                                       ("139-0000-0001", "13900000001")])
def test_phone_numbers_are_read_as_people_type_them(raw, phone):
    assert normalise_phone(raw) == phone


@pytest.mark.parametrize("raw", ["1390000000", "23900000001", "12900000001", "", "abc"])
def test_wrong_phone_numbers_are_refused_in_chinese(raw):
    with pytest.raises(DomainError, match="11 位手机号码") as caught:
        normalise_phone(raw)
    assert caught.value.field == "phone"


def test_id_numbers_are_checked_for_checksum_birth_date_and_place():
    good = factories.id_number("19491231", "002")
    assert check_id_number(good.lower()) == good
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    for wrong, message in [(bad_check, "有误"), (good[:17], "18 位"),
                           (good[:10] + "1332" + good[14:], "有误")]:
        with pytest.raises(DomainError, match=message):
            check_id_number(wrong)


def test_age_comes_from_the_id_number():
    assert age_on(factories.id_number("19600101"), date(2026, 11, 25)) == 66
    assert age_on(factories.id_number("20001126"), date(2026, 11, 25)) == 25


def test_personal_data_is_masked_for_display():
    assert mask_id_number("62282719600101123X") == "6228**********123X"
    assert mask_name("张桂兰") == "张**" and mask_name("李明") == "李*" and mask_name("欧阳春花") == "欧阳**"
    assert mask_phone("13900000001") == "139****0001"


def test_one_id_number_belongs_to_one_account(app):
    with app.app_context():
        factories.person("13900000001")
        other = find_or_create_person("13900000002")
        with pytest.raises(DomainError, match="已经绑定了另一个手机号"):
            verify_real_name(other, "张桂兰", factories.id_number())
        db.session.rollback()


@pytest.mark.parametrize("name", ["", "张", "张3", "x" * 21])
def test_a_real_name_must_look_like_one(app, name):
    with app.app_context():
        person = find_or_create_person("13900000003")
        with pytest.raises(DomainError) as caught:
            verify_real_name(person, name, factories.id_number())
        assert caught.value.field == "name"
