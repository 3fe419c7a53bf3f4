from datetime import date

import pytest
from sqlalchemy import select

from extensions import db
from services.errors import DomainError
from services.people.identity import (age_on, check_id_number, find_or_create_person, mask_id_number,
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
    assert mask_name("欧阳修") == "欧阳*" and mask_name("王𠈌") == "王*" and mask_name("阿卜杜·热合曼") == "阿**·***"
    assert mask_name("欧阳") == "欧*"  # a two-character name that reads like a compound surname
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


def test_a_verified_real_name_is_not_replaced_by_verifying_again(app):
    with app.app_context():
        person = factories.person()
        with pytest.raises(DomainError, match="已完成实名认证"):
            verify_real_name(person, "王五", factories.id_number("19700101", "555"))
        db.session.rollback()
        assert db.session.get(type(person), person.id).name == "张桂兰"


def test_staff_correct_a_real_name_and_the_log_keeps_before_and_after_masked(app):
    from services.audit import AuditEntry
    from services.people.identity import correct_real_name

    with app.app_context():
        person = factories.person()
        new_number = factories.id_number("19600101", "124")
        with pytest.raises(DomainError, match="更正原因"):
            correct_real_name(person, "张桂兰", new_number, "", 1, "管理员")
        correct_real_name(person, "张桂兰", new_number, "换发新身份证", 1, "管理员", ip="10.0.0.1")
        db.session.commit()
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "correct_real_name"))
        assert entry.actor_name == "管理员" and entry.detail["reason"] == "换发新身份证"
        assert entry.detail["after"]["id_number"] == mask_id_number(new_number)
        assert new_number not in str(entry.detail)


def test_people_registered_late_carry_a_code_newer_than_their_birth(app):
    # Born in 1985, first registered in Zhenyuan in 2016: the 2002 code 621027.
    late = factories.id_number("19850101", "123", region="621027")
    assert check_id_number(late) == late
