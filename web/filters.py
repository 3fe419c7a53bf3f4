"""Jinja filters and names for the guide vocabulary, in one place."""
from services import catalog


def money(value: float) -> str:
    if value == int(value):
        return f"{int(value):,} 元"
    return f"{value:,.2f} 元"


def register(app) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.globals.update(
        SECTION_NAMES=catalog.SECTION_NAMES, KIND_NAMES=catalog.KIND_NAMES,
        LEVEL_NAMES=catalog.LEVEL_NAMES, CHANNEL_NAMES=catalog.CHANNEL_NAMES,
        DELIVERY_NAMES=catalog.DELIVERY_NAMES, FORM_NAMES=catalog.FORM_NAMES,
    )
