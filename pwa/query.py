"""查询 pages: the person's own data from the department, shown at once in plain Chinese."""
from flask import render_template, request

from services.exchange import DepartmentUnavailable
from services.queries import from_sandbox, queryable, run_query
from services.registry import registry
from web.access import applicant, current_actor, verified_required
from web.security import no_store

from . import bp


@bp.get("/query/<code>")
@verified_required
def query(code: str):
    item = queryable(registry().catalog.get(code))
    status, result, unavailable = 200, None, False
    try:
        result = run_query(registry().exchange, item, applicant(), request.remote_addr or "", current_actor())
    except DepartmentUnavailable:
        status, unavailable = 503, True
    return no_store(render_template("flows/query.html", item=item, result=result, unavailable=unavailable,
                                    demo=from_sandbox(registry().exchange, item)), status)
