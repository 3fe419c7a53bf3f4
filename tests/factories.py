"""Build test data through the same service functions users reach."""
import uuid

from stdnum.cn import ric

from extensions import db
from services.people.identity import find_or_create_person, verify_real_name


def id_number(birth: str = "19600101", seq: str = "123", region: str | None = None) -> str:
    # Zhenyuan was 622827 until 2002 and 621027 since; stdnum checks the code against the birth year.
    region = region or ("621027" if birth >= "2002" else "622827")
    body = region + birth + seq
    return body + ric.calc_check_digit(body + "0")


def person(phone: str = "13900000001", name: str = "张桂兰", birth: str = "19600101", seq: str = "123"):
    p = find_or_create_person(phone)
    if not p.is_verified:  # a real name is given once (the demo people already have theirs)
        verify_real_name(p, name, id_number(birth, seq))
    db.session.commit()
    return p


def key() -> str:
    return uuid.uuid4().hex
