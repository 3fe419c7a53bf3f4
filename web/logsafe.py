"""Logs carry no ID number, phone number, SMS code or token in clear (等保三级, PIPL).

Each log record is masked as it is made, by the record factory every record goes through, so
whichever logger makes it (the app's, werkzeug's or gunicorn's access log, a library's) and
whichever handler writes it: a Filter on a logger misses what its children pass up, and one on a
handler misses handlers added later. RedactFilter does the same for a logging configuration.

Masked: ID numbers (last four kept: **************023X), mobiles (139****0001, as the pages show
them), the value of any parameter or field named in SECRET_NAMES (a tracking link's k, OAuth's
code and state, …; also inside an encoded next=), and the token in one-time links' paths. An SMS
code only ever travels in a form body, which no log holds, or as such a parameter.
"""
from __future__ import annotations

import logging
import re

# Query parameters and fields whose value is a secret, or personal data under another name.
SECRET_NAMES = ("k", "t", "token", "code", "state", "nonce", "secret", "signature", "sig", "sign", "key",
                "password", "otp", "ticket", "access_token", "id_token", "refresh_token", "code_verifier",
                "phone", "mobile", "id_number", "q")  # q: the console's search for a person by ID or phone
# Lower case only: a case-insensitive pattern is several times slower, and every log line pays it.
_NAMES = "|".join(sorted(SECRET_NAMES, key=len, reverse=True))
_SLASH = r"(?:/|%2[Ff])"

# Every run of 11 digits or more (an ID number's last may be X): each is judged whole, by _number.
NUMBER = re.compile(r"[0-9]{11,}[Xx]?")
# /up/<token>, /kiosk/setup/<token>, /api/v1/sms/receipts/<gateway>/<token>, also %2F-encoded in a next=
TOKEN_PATH = re.compile(
    rf"({_SLASH}(?:up|kiosk{_SLASH}setup|sms{_SLASH}receipts{_SLASH}[A-Za-z0-9_-]+){_SLASH})[^/?&#\s\"'<>%]+")
# name=value, also %3D-encoded in a next=, the value up to the parameter's end; _parameter checks what precedes
PARAMETER = re.compile(rf"((?:{_NAMES})(?:=|%3[Dd]|%253[Dd]))"
                       r"(?:([\"'])[^\"']*\2|(?:(?!%26|%2526)[^&\s\"'#<>,)])+)")
_PARAMETER_AFTER = ("?", "&", ";", ",", "(", " ", "\t", "\n", "\"", "'",
                    "%26", "%3F", "%3f", "%2526", "%253F", "%253f")
# "name": "value" or 'name': 123, in JSON or a dict's repr
FIELD = re.compile(rf"""(["'])(?:{_NAMES})\1:\s*(?:(["'])[^"']*\2|[0-9]+)""")


def _number(match: re.Match) -> str:
    number = match.group()
    if len(number) == 18:  # an ID number
        return "*" * 14 + number[-4:]
    phone = number.removeprefix("00").removeprefix("86") if len(number) > 11 else number  # +86, 0086
    if len(phone) == 11 and phone[0] == "1" and phone[1] in "3456789":
        return f"{phone[:3]}****{phone[-4:]}"
    return number


def _parameter(match: re.Match) -> str:
    start, name = match.start(), match.group(1)
    value = match.group()[len(name):]
    if value == "?" or value.startswith("%("):
        return match.group()  # an SQL statement's placeholder: id_number=?, id_number=%(id_number)s
    if start == 0 or match.string[max(start - 5, 0):start].endswith(_PARAMETER_AFTER):
        return name + "***"
    # The end of another name (next=, returncode=): its value may hold one of ours (next=/t/1?k=…).
    return name + PARAMETER.sub(_parameter, value)


def _field(match: re.Match) -> str:
    name_end = match.group().index(":") + 1
    quote = match.group(2) or ""
    return match.group()[:name_end] + " " + quote + "***" + quote


def redact(text: str) -> str:
    text = NUMBER.sub(_number, text)
    text = TOKEN_PATH.sub(r"\1***", text)
    if '":' in text or "':" in text:
        text = FIELD.sub(_field, text)
    if "=" in text or "%" in text:
        text = PARAMETER.sub(_parameter, text)
    return text


def redact_record(record: logging.LogRecord) -> None:
    """The message made once, masked, in place of its template and arguments; the traceback too."""
    try:
        message = record.getMessage()
    except Exception:  # arguments not matching the template: logging would report it, with both
        message = f"{record.msg} {record.args!r}"
    if record.name.startswith("sqlalchemy.engine") and message.startswith("Row "):
        message = "Row [hidden]"  # SQL echo at DEBUG prints every row read: personal data wholesale
    record.msg, record.args = redact(message), ()
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        # Only the text is kept: a formatter of its own would render exc_info again, unmasked.
        record.exc_text, record.exc_info = redact(record.exc_text), None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def _redacted(record: logging.LogRecord) -> logging.LogRecord:
    try:
        redact_record(record)
    except Exception:  # never let logging raise into the code that logs, nor let the text through
        record.msg, record.args, record.exc_info, record.exc_text = "[log message withheld]", (), None, None
    return record


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        _redacted(record)
        return True


def install() -> None:
    """Redact every record this process makes from now on (once, however many apps are made)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def factory(*args, **kwargs) -> logging.LogRecord:
        return _redacted(previous(*args, **kwargs))

    factory.redacts = True
    logging.setLogRecordFactory(factory)


def init_app(app) -> None:
    """For create_app, before db.init_app: SQLAlchemy leaves statement parameters out of its
    exceptions and echo (an error logged, or shown by `flask worker`, would carry them)."""
    install()
    app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {}).setdefault("hide_parameters", True)
