"""The published contract of /api/v1/: an OpenAPI 3.1 document (/api/v1/openapi.json) and the
same document as a page to read (/api/v1/docs), rendered here with no script and no CDN."""
from flask import current_app, jsonify, render_template

from services.cases.lifecycle import HANDLING, TRANSITIONS
from services.exchange.http import REPLAY_WINDOW

from . import bp

SIGNING = (
    "调用 /api/v1/exchange/ 下的接口，每个请求都要签名。密钥由县管理员在工作台“接口密钥”页面为部门系统生成："
    "密钥内容只显示一次；更换时新旧两把同时有效；停用的密钥立即失效。\n\n"
    "请求头：X-Key-Id 密钥编号（zk_…）；X-Timestamp 当前 Unix 秒数，与服务器相差不超过 "
    f"{REPLAY_WINDOW // 60} 分钟；X-Nonce 16–64 位字母、数字、下划线或连字符，每个请求不同，用过的会被拒绝；"
    "X-Signature 用密钥对“timestamp + 换行 + nonce + 换行 + 方法 + 空格 + 路径和查询串 + 换行 + 请求体原始字节”"
    "计算的 HMAC-SHA256，十六进制小写（GET 请求体为空）。\n\n"
    "回答带 X-Timestamp 和 X-Signature（对“timestamp + 换行 + 回答体”用同一密钥计算），请先验签再使用。"
    "签名不对返回 401。推送时 request_id 已用过的，返回第一次的结果，不会重复办理。")



def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _ok(schema: str, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


SIGNED = [{"name": h, "in": "header", "required": True, "schema": {"type": "string"}, "description": d} for h, d in (
    ("X-Key-Id", "密钥编号"), ("X-Timestamp", "Unix 秒数"), ("X-Nonce", "每个请求不同"),
    ("X-Signature", "十六进制 HMAC-SHA256，见签名说明"))]
SYSTEM = {"name": "system", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^[a-z]{2,12}$"},
          "description": "部门系统代码（wjj 卫健局、mzj 民政局……）"}


def document() -> dict:
    systems = current_app.config["EXCHANGE_SYSTEMS"]
    actions = {"acknowledge": "签收（部门系统已接收，状态不变）", **{name: TRANSITIONS[name].label for name in HANDLING}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "一网通办 · 乡村便民 接口 (镇原县)", "version": "1.0.0",
                 "description": "镇原县政务服务事项目录（公开），以及与部门业务系统的对接：拉取新办件，推送办理的每一步和办理结果。\n\n"
                                + SIGNING},
        "servers": [{"url": "/"}],
        "tags": [{"name": "catalog", "description": "事项目录（公开）"},
                 {"name": "exchange", "description": "部门业务系统对接（签名）"}],
        "paths": {
            "/api/v1/services": {"get": {
                "tags": ["catalog"], "operationId": "listServices", "summary": "事项目录",
                "responses": {"200": _ok("ServiceList", "全部事项")}}},
            "/api/v1/services/{code}": {"get": {
                "tags": ["catalog"], "operationId": "getService", "summary": "一个事项的办事指南",
                "parameters": [{"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _ok("Guide", "事项的完整办事指南"), "404": _error("没有这个事项")}}},
            "/api/v1/exchange/{system}/cases": {"get": {
                "tags": ["exchange"], "operationId": "pullCases", "summary": "取新办件（按编号翻页）",
                "description": "本系统事项中编号（id）大于 after 的办件，按先后排序；下一页从 next_after 开始。每次拉取都记入审计日志。",
                "parameters": [SYSTEM, {"name": "after", "in": "query", "required": True,
                                        "schema": {"type": "integer", "minimum": 0}},
                               {"name": "limit", "in": "query", "required": False,
                                "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}}, *SIGNED],
                "responses": {"200": _ok("CasePage", "一页办件"), "400": _error("参数不对"),
                              "401": _error("签名不对或已过期")}}},
            "/api/v1/exchange/{system}/cases/{number}/events": {"post": {
                "tags": ["exchange"], "operationId": "pushEvent", "summary": "推送办理状态、并联意见或结果",
                "description": "办件的一步操作，与窗口工作人员的操作按同样的规则检查。可用的 action：" + "、".join(f"`{k}` {v}" for k, v in actions.items()) + ".",
                "parameters": [SYSTEM, {"name": "number", "in": "path", "required": True,
                                        "schema": {"type": "string", "maxLength": 20}}, *SIGNED],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Push"}}}},
                "responses": {"200": _ok("PushAnswer", "已办理（request_id 已用过时，返回第一次的结果）"),
                              "400": _error("请求体不对"), "401": _error("签名不对或已过期"),
                              "404": _error("本系统没有这个办件"),
                              "409": _error("办件当前的状态或层级不允许这个操作"),
                              "422": _error("操作需要的内容缺少或不对")}}},
            "/api/v1/exchange/{system}/webhook": {
                "put": {"tags": ["exchange"], "operationId": "registerWebhook", "summary": "登记接收地址（webhook）",
                        "description": "此后本系统事项的每一步办理，都签名后 POST 到这个地址：请求头 X-Key-Id（最新的有效密钥）、"
                                       "X-Timestamp、X-Idempotency-Key 和 X-Signature（对 timestamp + 换行 + 请求体）。"
                                       "回复 2xx 算送达；否则稍后重试，间隔逐次加长（最长 10 分钟），连续 3 天不成功才放弃。重试和重新投递的 "
                                       "X-Idempotency-Key 不变，请据此只办理一次。",
                        "parameters": [SYSTEM, *SIGNED],
                        "requestBody": {"required": True, "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/WebhookRequest"}}}},
                        "responses": {"200": _ok("Webhook", "已登记"), "400": _error("请求体不对"),
                                      "401": _error("签名不对或已过期"), "404": _error("没有这个部门系统"),
                                      "422": _error("地址不对")}},
                "delete": {"tags": ["exchange"], "operationId": "removeWebhook", "summary": "不再推送到接收地址",
                           "parameters": [SYSTEM, *SIGNED],
                           "responses": {"200": _ok("Webhook", "已删除（url 为 null）"),
                                         "401": _error("签名不对或已过期")}}},
        },
        "components": {"schemas": _schemas(list(actions), systems)},
    }


def _schemas(actions: list[str], systems: list[str]) -> dict:
    text = {"type": "string"}
    return {
        "Error": {"type": "object", "required": ["error"], "properties": {"error": {
            "type": "object", "required": ["status", "message"], "properties": {
                "status": {"type": "integer"}, "message": {"type": "string", "description": "给人看的中文说明"},
                "fields": {"type": "object", "additionalProperties": text}}}}},
        "Service": {"type": "object", "properties": {
            "code": text, "name": text, "section": {"enum": ["convenience", "approval", "special"]},
            "kind": {"enum": ["query", "apply", "appointment", "payment"]}, "department": text,
            "level": {"type": "array", "items": {"enum": ["county", "township", "village"]}},
            "online": {"type": "boolean", "description": "在本系统可全程网上办理"},
            "promised_days": {"type": "integer"}, "visits": {"type": "integer"}}},
        "ServiceList": {"type": "object", "required": ["services", "count"], "properties": {
            "services": {"type": "array", "items": {"$ref": "#/components/schemas/Service"}},
            "count": {"type": "integer"}}},
        "Guide": {"type": "object", "description": "事项目录文件的全部字段（见 services/catalog.py 的 Item）",
                  "required": ["code", "name"], "additionalProperties": True},
        "Case": {"type": "object", "properties": {
            "id": {"type": "integer"}, "number": text, "item_code": text, "item_name": text, "status": text,
            "submitted_at": {"type": "string", "format": "date-time"},
            "township_id": {"type": ["integer", "null"]},
            "applicant": {"type": "object", "description": "申请人；单位的办件为经办人",
                          "properties": {"name": text, "id_number": text, "phone": {"type": ["string", "null"]}}},
            "organisation": {"type": ["object", "null"], "description": "申请单位（法人），按市场主体登记信息；个人的办件为 null",
                             "required": ["name", "uscc"], "properties": {"name": text, "uscc": text}},
            "answers": {"type": "object", "additionalProperties": True}}},
        "CasePage": {"type": "object", "required": ["cases", "next_after"], "properties": {
            "cases": {"type": "array", "items": {"$ref": "#/components/schemas/Case"}},
            "next_after": {"type": "integer"}}},
        "Push": {"type": "object", "required": ["request_id", "action"], "properties": {
            "request_id": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[A-Za-z0-9_-]+$",
                           "description": "调用方生成，每次推送不同；用同一个重试不会重复办理"},
            "action": {"enum": actions},
            "note": {"type": "string", "maxLength": 500, "description": "不予受理、不予办理、不同意时必填"},
            "decision": {"enum": ["approved", "denied"], "description": "complete：准予/不予；opinion：同意/不同意"},
            "materials": {"type": "array", "items": text, "description": "supplement：需要补正的材料（事项目录中材料的 key）"},
            "method": {"enum": ["window", "post", "electronic"], "description": "deliver：送达方式"},
            "tracking_number": {"type": "string", "maxLength": 30, "description": "deliver 邮寄时：快递单号"},
            "result": {"type": "object", "required": ["name", "base64"], "description": "deliver 电子送达时：结果文件",
                       "properties": {"name": text, "base64": {"type": "string", "contentEncoding": "base64"}}}}},
        "WebhookRequest": {"type": "object", "required": ["url"], "properties": {
            "url": {"type": "string", "maxLength": 300, "description": "https 地址（正式环境不能是内网地址）"}}},
        "Webhook": {"type": "object", "required": ["system", "url"], "properties": {
            "system": text, "url": {"type": ["string", "null"]}}},
        "PushAnswer": {"type": "object", "required": ["number", "status"], "properties": {
            "number": text, "status": text, "event_id": {"type": "integer"}, "label": text}},
    }


@bp.get("/openapi.json")
def openapi():
    return jsonify(document())


@bp.get("/docs")
def docs():
    return render_template("api_docs.html", doc=document())
