from flask import abort, current_app, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from extensions import db, limiter
from services import audit
from services.cases import STATUS_NAMES, TRANSITIONS, Actor, Case, act, remaining_workdays
from services.clock import today, utcnow
from services.errors import DomainError, NotFound
from services.logistics import ADDRESS_FIELDS, check_address, ship
from services.materials import file_for, store_files, uploads_of
from services.places import township_name
from services.staff import authenticate, case_for, visible_cases
from services.tracking import supplement_request, timeline
from services.workdays import load_calendar
from web.access import staff_required
from web.security import no_store
from web.preferences import safe_next

from . import bp
from .forms import LoginForm

OPEN = ["submitted", "accepted", "reviewing", "supplement"]
NOTICES = {"accept": "受理通知书", "supplement": "补正材料通知书", "reject": "不予受理通知书"}
DELIVERY = {"window": "窗口领取", "post": "邮寄", "electronic": "电子结果"}


def _ip() -> str:
    return request.remote_addr or ""


def _actor() -> Actor:
    return Actor("staff", current_user.id, current_user.name)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("20 per 10 minutes", methods=["POST"], error_message="登录尝试太频繁，请 10 分钟后再试")
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data, _ip())
        except DomainError as exc:
            form.password.errors.append(exc.message)
        else:
            session.clear()  # a fresh session: nothing of a previous user survives
            login_user(user)
            session["staff_seen"] = utcnow().timestamp()
            return redirect(safe_next(request.args.get("next")) if request.args.get("next", "").startswith("/office")
                            else url_for("office.queue"), code=303)
    return (render_template("office/login.html", form=form, timeout=request.args.get("timeout")),
            422 if form.errors else 200)


@bp.post("/logout")
@staff_required()
def logout():
    audit.record("staff", current_user.id, current_user.name, "logout", ip=_ip())
    logout_user()
    session.clear()
    return redirect(url_for("office.login"), code=303)


@bp.get("/")
@staff_required()
def queue():
    if current_user.role == "hospital":
        return redirect(url_for("office.bookings"))
    status = request.args.get("status", "open")
    item_code = request.args.get("item", "")
    query = visible_cases(current_user)
    if status == "open":
        query = query.where(Case.status.in_(OPEN))
    elif status in STATUS_NAMES:
        query = query.where(Case.status == status)
    if item_code:
        query = query.where(Case.item_code == item_code)
    cases = list(db.session.scalars(query.limit(500)))
    calendar, now = load_calendar(), today()
    rows = [(c, remaining_workdays(c, now, calendar)) for c in cases]
    # Deadlines first, the nearest on top; cases not yet accepted by waiting time.
    rows.sort(key=lambda r: (r[1] is None, r[1] if r[1] is not None else 0, r[0].submitted_at))
    catalog = current_app.extensions["catalog"]
    items = [i for i in catalog.items if i.kind == "apply"]
    return render_template("office/queue.html", rows=rows, status=status, item_code=item_code,
                           statuses=STATUS_NAMES, items=items)


def _case_page(case, errors=None, revealed=False, status=200):
    item = current_app.extensions["catalog"].get(case.item_code)
    calendar = load_calendar()
    return no_store(render_template(
        "office/case.html", case=case, item=item, steps=timeline(case, public=False),
        uploads=uploads_of(case_id=case.id), remaining=remaining_workdays(case, today(), calendar),
        township=township_name(case.township_id), revealed=revealed, errors=errors or {},
        allowed=[t for t in TRANSITIONS.values() if case.status in t.sources and t.name not in ("withdraw", "resubmit")],
        request_event=supplement_request(case), delivery=DELIVERY, address_fields=ADDRESS_FIELDS), status)


@bp.get("/cases/<int:case_id>")
@staff_required()
def case_page(case_id: int):
    case = case_for(current_user, case_id)
    audit.record("staff", current_user.id, current_user.name, "view_case", f"case:{case.number}", ip=_ip())
    return _case_page(case)


@bp.post("/cases/<int:case_id>/reveal")
@staff_required()
def reveal_id(case_id: int):
    case = case_for(current_user, case_id)
    audit.record("staff", current_user.id, current_user.name, "reveal_id", f"case:{case.number}", ip=_ip())
    return _case_page(case, revealed=True)


@bp.post("/cases/<int:case_id>/act/<name>")
@staff_required()
def case_action(case_id: int, name: str):
    case = case_for(current_user, case_id)
    if name not in TRANSITIONS or name in ("withdraw", "resubmit"):
        abort(404)
    item = current_app.extensions["catalog"].get(case.item_code)
    note = request.form.get("note", "").strip()[:500]
    data: dict = {}
    try:
        if name == "supplement":
            picked = sorted({int(i) for i in request.form.getlist("materials") if i.isdigit()})
            if not picked or any(i >= len(item.materials) or item.materials[i].waived for i in picked):
                raise DomainError("请勾选所有需要补正的材料（一次列全）", field="materials")
            data["materials"] = picked
            note = note or "请补正以下材料：" + "、".join(item.materials[i].name for i in picked)
        elif name == "complete":
            data["decision"] = request.form.get("decision", "")
        elif name == "deliver":
            note, data = _delivery(case, item, note)
        act(case, name, _actor(), note=note, data=data)
    except DomainError as exc:
        db.session.rollback()
        return _case_page(case_for(current_user, case_id), errors={exc.field or "action": exc.message}, status=422)
    audit.record("staff", current_user.id, current_user.name, "case_action", f"case:{case.number}",
                 {"action": name}, ip=_ip())
    return redirect(url_for("office.case_page", case_id=case.id), code=303)


def _delivery(case, item, note: str) -> tuple[str, dict]:
    method = request.form.get("method", "")
    if method not in DELIVERY:
        raise DomainError("请选择送达方式", field="method")
    if method not in item.delivery:
        raise DomainError(f"这个事项不能{DELIVERY[method]}", field="method")
    if method == "post":
        tracking = request.form.get("tracking_number", "").strip()
        if tracking:  # posted by hand at the window: the number from the slip
            if not tracking.isalnum() or not 8 <= len(tracking) <= 30:
                raise DomainError("请填写快递单号（8–30 位字母或数字）", field="tracking_number")
            return f"已邮寄，快递单号 {tracking}", {"method": method, "tracking_number": tracking}
        carrier = current_app.extensions["carrier"]  # 一键物流: the carrier collects it
        shipment = ship(carrier, case, check_address(request.form))
        return (f"已交{carrier.name}邮寄，单号 {shipment.tracking_number}",
                {"method": method, "tracking_number": shipment.tracking_number})
    if method == "electronic":
        result = request.files.get("result")
        if not result or not result.filename:
            raise DomainError("请上传电子结果文件（PDF 或图片）", field="result")
        [upload] = store_files(current_app.extensions["storage"], [(result.filename, result.read())],
                               case.applicant_id, -1, case_id=case.id)
        return "电子结果已发放，可在“我的办件”查看", {"method": method, "file": upload.key}
    return note or "请持身份证到窗口领取", {"method": method}


@bp.get("/cases/<int:case_id>/notice/<kind>")
@staff_required()
def notice(case_id: int, kind: str):
    case = case_for(current_user, case_id)
    if kind not in NOTICES:
        abort(404)
    event = next((e for e in reversed(case.events) if e.action == kind), None)
    if event is None:
        raise NotFound("这个办件还没有这项操作，不能打印该通知书")
    item = current_app.extensions["catalog"].get(case.item_code)
    return render_template("office/notice.html", case=case, item=item, kind=kind, title=NOTICES[kind],
                           event=event, township=township_name(case.township_id))


@bp.get("/files/<key>")
@staff_required()
def material_file(key: str):
    upload = file_for(key)
    if upload is None or upload.case_id is None:
        raise NotFound("没有找到这个文件")
    case = case_for(current_user, upload.case_id)  # only staff who may see the case
    audit.record("staff", current_user.id, current_user.name, "view_file", f"case:{case.number}",
                 {"file": key}, ip=_ip())
    response = make_response(current_app.extensions["storage"].get(upload.key))
    response.mimetype = upload.content_type
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = "inline"
    return response

