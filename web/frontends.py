"""What a front end supplies to the shared flow templates (templates/flows/): its layout and
its URLs. A flow template names no blueprint: it extends `layout` and links with
`flow_url("apply_form", code=…)`, which resolves in the blueprint serving the request. A front
end registers its layout here, serves the endpoints it offers and names, in ALIASES, its own
page for a flow page it does things differently (the kiosk identifies people instead of a
sign-in page). The office and the agent fall back to the phone's public pages (a guide); the
kiosk never leaves the kiosk."""
from flask import request, url_for
from werkzeug.routing import BuildError

LAYOUTS = {"pwa": "base.html", "office": "office/base.html", "kiosk": "kiosk/base.html", "agent": "agent/base.html"}
ALIASES = {"kiosk": {"signin": "identify", "signin_code": "identify", "verify": "identify",
                     "signout": "leave", "search": "home", "elder_offer": "home"},
           # An agent's pages of one resident: signing in and out is the agent's own; home is their desk.
           "agent": {"signin": "login", "signin_code": "login", "verify": "resident", "signout": "logout",
                     "search": "home", "elder_offer": "home", "home": "resident"}}
FALLS_BACK = {"office", "agent"}  # to the phone's public pages (a guide, the places)
# No wallet on the device (a kiosk), or not the payer's (an agent's phone): the checkout is a QR
# the person's, or a relative's, phone scans — an agent never handles a resident's money.
SCAN_TO_PAY = {"kiosk", "agent"}
# The kiosk's layout carries the visit going on (退出, the idle reset, its form tokens, the
# kiosk's name), the agent's the resident acted for: rendered for each request, never cached.
PER_REQUEST_LAYOUT = {"kiosk", "agent"}
DEFAULT = "pwa"


def frontend() -> str:
    blueprint = request.blueprint if request else None
    return blueprint if blueprint in LAYOUTS else DEFAULT


# Where doing an item starts, by its kind; its label on a guide's button.
STARTS = {"apply": ("apply_form", "在线申请"), "query": ("query", "马上查询"), "payment": ("pay", "在线缴费"),
          "appointment": ("book_hospitals", "预约挂号")}


# Special services (专项服务) whose page is not a kind's flow.
ENTRIES = {"track": ("track_lookup", "查询办事进度"), "public_cases": ("public_cases", "查看办件公示"),
           "powers": ("powers", "查询权责清单")}


def start_of(item) -> tuple[str, str] | None:
    """(URL, label) of where doing this item starts in this front end, or None (guide only)."""
    if item.entry in ENTRIES:
        endpoint, label = ENTRIES[item.entry]
        return flow_url(endpoint), label
    if item.kind == "apply" and not item.applied_for_online or item.kind == "query" and not item.queried_online:
        return None
    if item.applicant == "organisation" and frontend() != DEFAULT:  # kiosks and agents serve villagers
        return None
    if item.kind not in STARTS:
        return None
    endpoint, label = STARTS[item.kind]
    if item.applicant == "organisation":
        label = "以单位名义在线申请"
    return (flow_url(endpoint) if endpoint == "book_hospitals" else flow_url(endpoint, code=item.code)), label


def page_cacheable() -> bool:
    return frontend() not in PER_REQUEST_LAYOUT


def pays_by_scan() -> bool:
    return frontend() in SCAN_TO_PAY


def flow_url(endpoint: str, **values) -> str:
    here = frontend()
    endpoint = ALIASES.get(here, {}).get(endpoint, endpoint)
    try:
        return url_for(f"{here}.{endpoint}", **values)
    except BuildError:
        if here not in FALLS_BACK:
            raise
        return url_for(f"{DEFAULT}.{endpoint}", **values)


def register(app) -> None:
    app.jinja_env.globals["flow_url"] = flow_url
    app.jinja_env.globals["start_of"] = start_of

    @app.context_processor
    def layout():
        from web.access import acting_organisation, applicant

        return {"layout": LAYOUTS[frontend()], "frontend": frontend(), "applicant": applicant(),
                "acting": acting_organisation()}
