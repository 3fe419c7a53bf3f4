"""对账 in the console: each day's payment provider bill against the orders paid here, and the
differences left for the finance staff (the administrator and the supervisor read them)."""
from flask import render_template

from services.reconciliation import KINDS, PROVIDER_NAMES, reports
from web.access import staff_required

from . import bp


@bp.get("/reconciliation")
@staff_required("admin", "supervisor")
def reconciliation():
    return render_template("office/reconciliation.html", reports=reports(), kinds=KINDS, providers=PROVIDER_NAMES)
