"""Jinja filters and names for the guide vocabulary, in one place."""
from services import catalog
from services.cases.numbers import format_case_number
from services.cases.papers import KINDS as PAPER_KINDS
from services.clock import to_china
from services.people.consent import METHOD_NAMES
from services.people.identity import mask_id_number, mask_name, mask_phone


def money(value: float) -> str:
    """1,234.50 元 — always two decimals for amounts that are not whole yuan."""
    if value == int(value):
        return f"{int(value):,} 元"
    return f"{value:,.2f} 元"


def china_time(moment) -> str:
    return f"{to_china(moment):%Y年%-m月%-d日 %H:%M}"


def china_date(day) -> str:
    return f"{day:%Y年%-m月%-d日}"


def material_name(key: str, item) -> str:
    from services.cases.supplements import material_name as name

    return name(item, key)


def register(app) -> None:
    app.jinja_env.filters.update(money=money, material_name=material_name, china_time=china_time, china_date=china_date,
                                 mask_id=mask_id_number, mask_name=mask_name, mask_phone=mask_phone,
                                 case_number=format_case_number,
                                 consent_method=lambda m: METHOD_NAMES.get(m, ""),
                                 paper_kind=lambda k: PAPER_KINDS.get(k, ""))
    app.jinja_env.globals.update(
        SECTION_NAMES=catalog.SECTION_NAMES, KIND_NAMES=catalog.KIND_NAMES,
        LEVEL_NAMES=catalog.LEVEL_NAMES, CHANNEL_NAMES=catalog.CHANNEL_NAMES,
        DELIVERY_NAMES=catalog.DELIVERY_NAMES, FORM_NAMES=catalog.FORM_NAMES,
    )
