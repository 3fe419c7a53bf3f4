from flask import current_app, jsonify

from . import bp


@bp.get("/services")
def services():
    items = current_app.extensions["catalog"].items
    return jsonify({"services": [i.summary_dict() for i in items], "count": len(items)})


@bp.get("/services/<code>")
def service(code: str):
    return jsonify(current_app.extensions["catalog"].get(code).guide_dict())
