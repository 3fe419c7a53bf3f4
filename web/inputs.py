"""Request input, parsed one way everywhere: a pydantic model per form or JSON body, whose field
types are the parsers in services.inputs. `parse()` never raises: it gives the clean data, or
a Chinese message per field plus what the person typed, so the form can be shown again as it
was. Every front end (phone, kiosk, agent, office, API) parses with these models."""
from __future__ import annotations

import typing
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from services import inputs
from services.errors import DomainError

TEXT_MAX = 2000  # what any single form value may be before a parser even looks at it


def rule(parser, **options) -> BeforeValidator:
    """A services.inputs parser as a pydantic validator; its message becomes the field's error."""
    def run(value):
        try:
            return parser(value, field=None, **options)
        except DomainError as exc:
            raise PydanticCustomError("refused", exc.message)
    return BeforeValidator(run)


def _plain(value, field=None, max_len: int = TEXT_MAX):
    """A value we only store or compare, never show as text (a password): any characters, bounded."""
    value = inputs.text_of(value, field)
    if len(value) > max_len or "\x00" in value:
        raise inputs.InvalidInput("内容太长或有无效字符", field=field)
    return value


Phone = Annotated[str, rule(inputs.phone)]
SmsCode = Annotated[str, rule(inputs.sms_code)]
PersonName = Annotated[str, rule(inputs.person_name)]
IdNumber = Annotated[str, rule(inputs.id_number)]
Token = Annotated[str, rule(inputs.token)]
Password = Annotated[str, rule(_plain, max_len=128)]


def Text(max_len: int, multiline: bool = False, required: bool = False, label: str = ""):  # noqa: N802
    return Annotated[str, rule(inputs.text, max_len=max_len, multiline=multiline, required=required, label=label)]


def Integer(lo: int, hi: int, message: str = "请填写整数"):  # noqa: N802
    return Annotated[int, rule(inputs.integer, lo=lo, hi=hi, message=message)]


def OptionalInteger(lo: int, hi: int):  # noqa: N802
    return Annotated[int | None, rule(inputs.optional_integer, lo=lo, hi=hi)]


def Choice(*options: str, message: str = "请从列表中选择"):  # noqa: N802
    return Annotated[str, rule(inputs.choice, options=options, message=message)]


class Input(BaseModel):
    """A form or JSON body. Unknown members (csrf_token, a submit button) are ignored."""
    model_config = ConfigDict(extra="ignore", frozen=True)


@dataclass
class Parsed:
    data: Any = None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    refused_status: int | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def status(self) -> int:
        """422 for what was sent, or the refusing rule's own (429 too many tries, 409 too late)."""
        return (self.refused_status or 422) if self.errors else 200

    def refuse(self, exc: DomainError, default: str) -> None:
        """A rule in services refused the clean data: show its message next to its field."""
        self.errors[exc.field if exc.field in self.values else default] = exc.message
        if exc.status in (409, 429):
            self.refused_status = exc.status


def _is_list(annotation) -> bool:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _is_list(typing.get_args(annotation)[0])
    return origin is list


def raw_values(model: type[Input], source) -> dict[str, Any]:
    """What was sent for each field of the model: lists for list fields, text otherwise."""
    values = {}
    for name, info in model.model_fields.items():
        if _is_list(info.annotation):
            values[name] = source.getlist(name) if hasattr(source, "getlist") else source.get(name, [])
        else:
            values[name] = source.get(name, "")
    return values


def parse(model: type[Input], source) -> Parsed:
    """Clean data, or every problem at once. Never raises on what a client sent."""
    if not hasattr(source, "get"):  # JSON that is not an object
        return Parsed(errors={"": "请求体须为 JSON 对象"})
    values = raw_values(model, source)
    shown = {k: (v if isinstance(v, (str, list)) else "") for k, v in values.items()}
    try:
        return Parsed(data=model.model_validate(values), values=shown)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors(include_url=False, include_input=False):
            name = str(error["loc"][0]) if error["loc"] else ""
            errors.setdefault(name, _message(error))
        return Parsed(errors=errors, values=shown)


def parse_filters(model: type[Input], source) -> Any:
    """Query-string filters: a value that does not parse is dropped (a link cut short, a hand-made
    URL), the rest apply. Every field of the model must have a default for a missing value."""
    query = parse(model, source)
    if query.ok:
        return query.data
    kept = {k: source.get(k) for k in model.model_fields if k not in query.errors and source.get(k) is not None}
    return parse(model, kept).data


def _message(error: dict) -> str:
    if error["type"] == "refused":
        return error["msg"]
    if error["type"] == "value_error":  # a model_validator's ValueError carries our message
        return str(error["msg"]).removeprefix("Value error, ")
    return "格式不对，请重新填写"


JSON_MAX = 256 * 1024


def json_body(request, max_bytes: int = JSON_MAX) -> dict:
    """A JSON object from a machine, or InvalidInput (400): too big, not JSON, nested past what
    the parser can take, or not an object."""
    import json

    if (request.content_length or 0) > max_bytes:
        raise DomainError(f"请求体超过 {max_bytes // 1024} KB")
    raw = request.get_data(cache=True)
    if len(raw) > max_bytes:
        raise DomainError(f"请求体超过 {max_bytes // 1024} KB")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):
        raise DomainError("请求体不是有效的 JSON")
    if not isinstance(body, dict):
        raise DomainError("请求体须为 JSON 对象")
    return body
