"""督查: the plan's targets measured, for the supervisor (督查考核局) and the administrator; every
table also as CSV (UTF-8 with a BOM, so that Excel opens it as it is)."""
import csv
import io
from types import SimpleNamespace

from flask import Response, abort, render_template, request

from services import supervision as figures
from services.cases.ratings import LEVELS, RECTIFICATION_STATUS
from services.clock import today
from services.errors import DomainError
from services.registry import registry
from web.access import staff_required
from web.forms import SupervisionQuery
from web.inputs import Parsed, parse

from . import bp


def _periods():
    form = parse(SupervisionQuery, request.args)
    values = form.values
    try:
        if not form.ok:
            raise DomainError(next(iter(form.errors.values())), field=next(iter(form.errors)))
        current, baseline = figures.periods(values["start"], values["end"], values["base_start"], values["base_end"])
    except DomainError as exc:
        current, baseline = figures.default_periods()
        return current, baseline, values, {exc.field or "start": exc.message}
    return current, baseline, values, {}


def _tables(current, baseline) -> dict:
    """Each table, counted when asked for: its title, its header and its rows, as shown and as downloaded."""
    catalog, day = registry().catalog, today()
    share = figures.online_share(catalog)
    level_names = [LEVELS[level] for level in LEVELS]

    def ratings(by):
        return [[r.name, r.total, *[r.counts.get(level, 0) for level in LEVELS],
                 "" if r.good_percent is None else r.good_percent, r.bad]
                for r in figures.ratings_by(by, current, catalog)]

    return {
        "online": lambda: ("全程网办事项占比", ["板块", "事项数", "可全程网办", "占比%"],
                   [[name, n, online, round(100 * online / n, 1) if n else 0] for name, n, online in share.by_section]
                   + [["合计", share.items, share.online, share.percent]]),
        "status": lambda: ("办件状态（本期提交）", ["状态", "办件数"],
                   [[name, n] for _, name, n in figures.cases_by_status(current)]),
        "overdue_department": lambda: ("超期办件（按部门，当前）", ["部门", "办理中", "已超期"],
                               [list(r) for r in figures.overdue_by("department", day)]),
        "overdue_township": lambda: ("超期办件（按乡镇，当前）", ["乡镇", "办理中", "已超期"],
                             [list(r) for r in figures.overdue_by("township", day)]),
        "efficiency": lambda: ("受理到办结平均用时（工作日，补正期间不计）",
                       ["事项", "本期办结", "本期平均", "基期办结", "基期平均", "提速%", f"达到{figures.EFFICIENCY_TARGET}%"],
                       [[e.name, e.done, _blank(e.average), e.base_done, _blank(e.base_average),
                         _blank(e.faster_percent), {True: "是", False: "否", None: ""}[e.meets_target]]
                        for e in figures.efficiency(catalog, current, baseline)]),
        "ratings_department": lambda: ("好差评（按部门，本期）", ["部门", "评价数", *level_names, "满意率%", "差评"],
                               ratings("department")),
        "ratings_item": lambda: ("好差评（按事项，本期）", ["事项", "评价数", *level_names, "满意率%", "差评"], ratings("item")),
        "rectifications": lambda: ("未办结的差评整改", ["办件编号", "事项", "承办部门", "评价", "开始", "答复期限", "状态", "超期"],
                           [[f.case.number, f.case.item_name, f.case.department, f.rating.level_name,
                             f.opened_on.isoformat(), f.due_on.isoformat(), RECTIFICATION_STATUS[f.status],
                             "已超期" if f.overdue(day) else ""] for f in figures.open_rectifications()]),
    }


def _blank(value):
    return "" if value is None else value


@bp.get("/supervision")
@staff_required("supervisor", "admin")
def supervision():
    current, baseline, values, errors = _periods()
    tables = {name: table() for name, table in _tables(current, baseline).items()}

    def column(name, *columns):  # a chart draws columns of its table: the same figures
        return [tuple(row[c] if row[c] != "" else None for c in columns) for row in tables[name][2]]

    charts = {"online": column("online", 0, 3), "status": column("status", 0, 1),
              "overdue_department": [r for r in column("overdue_department", 0, 2) if r[1]],
              "overdue_township": [r for r in column("overdue_township", 0, 2) if r[1]],
              "efficiency": [r for r in column("efficiency", 0, 2, 4) if r[1] is not None or r[2] is not None]}
    # The headline share and the ratings chart come from the tables too: counted once.
    _, items, online, percent = tables["online"][2][-1]  # the 合计 row
    ratings = [figures.RatingRow(row[0], dict(zip(LEVELS, row[2:7]))) for row in tables["ratings_department"][2]]
    shown = {"start": current.start, "end": current.end, "base_start": baseline.start, "base_end": baseline.end}
    form = Parsed(values={k: values.get(k) or v.isoformat() for k, v in shown.items()}, errors=errors)
    return render_template(
        "office/supervision.html", current=current, baseline=baseline, form=form,
        tables=tables, charts=charts, share=SimpleNamespace(items=items, online=online, percent=percent),
        target=figures.EFFICIENCY_TARGET, lines=[(pct, f"{label} {pct}%") for label, pct in figures.TARGETS],
        ratings=ratings, levels=LEVELS, query=request.query_string.decode(),
        demo=not registry().production,
    ), 422 if errors else 200


@bp.get("/supervision/<name>.csv")
@staff_required("supervisor", "admin")
def supervision_csv(name: str):
    current, baseline, _, errors = _periods()
    if errors:  # never the default period under the name of the one asked for
        return Response("\n".join(errors.values()), status=422, content_type="text/plain; charset=utf-8")
    tables = _tables(current, baseline)
    if name not in tables:
        abort(404)
    title, header, rows = tables[name]()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[_cell(v) for v in row] for row in rows])
    filename = f"{name}-{current.start:%Y%m%d}-{current.end:%Y%m%d}.csv"
    return Response("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


def _cell(value):
    """Text Excel would run as a formula (=, +, -, @ first) is kept as text."""
    return "'" + value if isinstance(value, str) and value[:1] in ("=", "+", "-", "@") else value
