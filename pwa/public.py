"""专项服务 open to everyone: 办件公示 (the county's cases, masked) and 权责清单查询."""
from flask import render_template, request

from services.cases import public_list
from services.cases.public_list import Filters, departments, listed_items
from services.clock import today
from services.memo import LRU
from services.places import township_choices
from services.powers import KIND_NAMES
from services.registry import registry
from web.forms import PowersQuery, PublicCasesQuery
from web.fragments import render_page, wants_fragment
from web.frontends import frontend, page_cacheable
from web.inputs import parse_filters
from web.pagecache import Held, held_response
from web.preferences import is_elder

from . import bp
from .routes import catalog, power_lists

# Rendered pages of the list, per worker, kept while no case changes anywhere and the day is the same.
_pages = LRU(2000)


@bp.get("/public-cases")
def public_cases():
    change = public_list.latest_change()
    key = (frontend(), request.query_string, is_elder(request), wants_fragment(), change, today())
    page = _pages.get(key) if page_cacheable() else None
    if page is None:
        page = Held(_render_public_cases(change))
        if page_cacheable():
            _pages.put(key, page)
    return held_response(page)


def _render_public_cases(change: int | None) -> str:
    data = parse_filters(PublicCasesQuery, request.args)
    townships, depts, items = township_choices(), departments(catalog()), listed_items(catalog())
    # What no list offers is not a filter (a link cut short, a hand-made URL): ignored, not an error.
    filters = Filters(
        township_id=data.township if data.township in {t for t, _ in townships} else None,
        department=data.department if data.department in depts else "",
        item_code=data.item if data.item in {i.code for i in items} else "")
    page = public_list.public_cases(catalog(), filters, before=data.before, after=None if data.before else data.after,
                                    change=change)
    here = {"township": filters.township_id or "", "department": filters.department, "item": filters.item_code}
    return render_page("flows/public_cases.html", "flows/_public_cases.html", listing=page, filters=filters,
                       here={k: v for k, v in here.items() if v}, townships=townships, departments=depts,
                       items=items, demo=not registry().production)


@bp.get("/powers")
def powers():
    data = parse_filters(PowersQuery, request.args)
    lists = power_lists()
    department = data.department if data.department in {k for k, _ in lists.departments} else ""
    kind = data.kind if data.kind in KIND_NAMES else ""
    searched = bool(data.q.strip() or department or kind)
    found = lists.find(data.q, department, kind) if searched else []
    return render_page("flows/powers.html", "flows/_powers_results.html", lists=lists, found=found,
                       searched=searched, q=data.q.strip(), department=department, kind=kind,
                       kind_names=KIND_NAMES)


@bp.get("/powers/<code>")
def power(code: str):
    key, entry = power_lists().get(code)
    return render_template("flows/power.html", entry=entry, department=power_lists().department(key), key=key,
                           item=catalog().get(entry.item) if entry.item else None)
