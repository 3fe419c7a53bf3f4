"""What a front end supplies to the shared flow templates (templates/flows/): its layout and
its URLs. A flow template names no blueprint: it extends `layout` and links with
`flow_url("apply_form", code=…)`, which resolves in the blueprint serving the request. A new
front end (a kiosk, an agent's pages) registers its layout here and serves the endpoints it
offers; a link to one it does not offer yet falls back to the phone's page."""
from flask import request, url_for
from werkzeug.routing import BuildError

LAYOUTS = {"pwa": "base.html", "office": "office/base.html"}
DEFAULT = "pwa"


def frontend() -> str:
    blueprint = request.blueprint if request else None
    return blueprint if blueprint in LAYOUTS else DEFAULT


def flow_url(endpoint: str, **values) -> str:
    here = frontend()
    try:
        return url_for(f"{here}.{endpoint}", **values)
    except BuildError:
        if here == DEFAULT:
            raise
        return url_for(f"{DEFAULT}.{endpoint}", **values)


def register(app) -> None:
    app.jinja_env.globals["flow_url"] = flow_url

    @app.context_processor
    def layout():
        return {"layout": LAYOUTS[frontend()]}
