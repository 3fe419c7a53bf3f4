"""The one input layer: every value a person or a machine sends is parsed here before any rule
sees it. A parser returns a clean value or raises InvalidInput with a message for people in
Chinese; it never lets a strange character through to int(), Decimal() or the database.

What people type: full-width digits (１３９…) and a lower-case x are fine; superscripts (³),
circled digits (①), other scripts' digits, NaN and Infinity are refused, never crash.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

from stdnum import numdb
from stdnum.cn import ric
from stdnum.cn import uscc as _uscc

from services.errors import DomainError


class InvalidInput(DomainError):
    status = 422


# Full-width forms a Chinese keyboard produces; everything else non-ASCII stays itself.
_FULL_WIDTH = {**{0xFF10 + i: str(i) for i in range(10)}, 0x3000: " ", 0xFF38: "X", 0xFF58: "x",
               0xFF0D: "-", 0xFF0E: ".", 0xFF0B: "+", 0xFF0C: ","}
_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)
# The middle dot of minority names (阿卜杜·热合曼) arrives in several look-alike forms.
_DOTS = {ord(c): "·" for c in "•‧・･．∙⋅"}
MIDDLE_DOT = "·"
# Bidi overrides, zero-width characters and other invisible formatting: never in a real name or address.
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?]|javascript:", re.IGNORECASE)


def text_of(raw, field: str | None = None) -> str:
    """A form value or JSON member as text; a list, a number or an object where text belongs is refused."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise InvalidInput("格式不对，请重新填写", field=field)
    return raw


def half_width(raw: str) -> str:
    return raw.translate(_FULL_WIDTH)


def digits(raw, field: str | None = None, message: str = "请只填写数字", separators: str = "") -> str:
    """ASCII digits only, after turning full-width ones into ASCII; `separators` are dropped."""
    value = half_width(text_of(raw, field)).strip()
    if separators:
        value = re.sub(f"[{re.escape(separators)}]", "", value)
    if value and not _ASCII_DIGITS.fullmatch(value):
        raise InvalidInput(message, field=field)
    return value


def integer(raw, lo: int, hi: int, field: str | None = None, message: str = "请填写整数") -> int:
    if isinstance(raw, bool):
        raise InvalidInput(message, field=field)
    if isinstance(raw, int):
        value = raw
    else:
        text_ = digits(raw, field, message)
        if not text_ or len(text_) > 12:
            raise InvalidInput(message, field=field)
        value = int(text_)
    if not lo <= value <= hi:
        raise InvalidInput(f"应在 {lo} 到 {hi} 之间", field=field)
    return value


def optional_integer(raw, lo: int, hi: int, field: str | None = None) -> int | None:
    """A choice such as a township id: empty or anything unusable is None (the rule says why)."""
    try:
        return integer(raw, lo, hi, field)
    except InvalidInput:
        return None


def decimal(raw, lo: Decimal, hi: Decimal, places: int, field: str | None = None) -> Decimal:
    """A plain decimal such as 1234.50: no NaN, no Infinity, no exponent, at most `places` decimals."""
    value = half_width(text_of(raw, field)).strip().replace(",", "").removesuffix("元").strip()
    if not re.fullmatch(r"[0-9]{1,12}(\.[0-9]+)?", value, re.ASCII):
        raise InvalidInput("请填写数字，如 1200 或 1200.50", field=field)
    try:
        number = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise InvalidInput("请填写数字", field=field)
    if -number.as_tuple().exponent > places:
        raise InvalidInput(f"最多 {places} 位小数" if places else "请填写整数", field=field)
    if not lo <= number <= hi:
        raise InvalidInput(f"应在 {lo} 到 {hi} 之间", field=field)
    return number


def _bad_character(ch: str, multiline: bool) -> bool:
    category = unicodedata.category(ch)
    if category in ("Cc",):
        return not (multiline and ch in "\n\t")
    if category in ("Cf", "Cs", "Co", "Cn"):  # bidi overrides, zero-width, surrogates, private, unassigned
        return True
    return _is_emoji(ch)


def _is_emoji(ch: str) -> bool:
    code = ord(ch)
    return (0x1F000 <= code <= 0x1FAFF or 0x2600 <= code <= 0x27BF or 0xFE00 <= code <= 0xFE0F
            or 0x1F1E6 <= code <= 0x1F1FF or code == 0xFFFD)


def text(raw, max_len: int, field: str | None = None, multiline: bool = False, required: bool = False,
         label: str = "", markup: bool = False) -> str:
    """Free text (an address, a reason): trimmed, NFC; no control or invisible characters, no
    emoji, no markup; at most `max_len` characters."""
    value = unicodedata.normalize("NFC", text_of(raw, field)).strip()
    if multiline:
        value = value.replace("\r\n", "\n").replace("\r", "\n")
    if required and not value:
        raise InvalidInput(f"请填写{label}" if label else "这一项必须填写", field=field)
    if any(_bad_character(ch, multiline) for ch in value):
        raise InvalidInput("有看不见的控制字符或表情符号，请删去后重新填写", field=field)
    if not markup and _MARKUP.search(value):
        raise InvalidInput("请不要填写网页代码（尖括号 < > 中的内容）", field=field)
    if len(value) > max_len:
        raise InvalidInput(f"最多 {max_len} 个字，现在是 {len(value)} 个字", field=field)
    return value


def _han(ch: str) -> bool:
    code = ord(ch)
    return (0x3400 <= code <= 0x4DBF or 0x4E00 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF
            or 0x20000 <= code <= 0x3134F or code == 0x3007)


NAME_MAX = 30


def person_name(raw, field: str | None = "name", label: str = "姓名") -> str:
    """A name as on an ID card: Chinese characters, rare ones too (王𠈌, 李䶮), and the middle dot
    of minority names (阿卜杜·热合曼). No digits, letters, spaces, symbols or markup."""
    value = unicodedata.normalize("NFC", text_of(raw, field)).strip().translate(_DOTS)
    if not value:
        raise InvalidInput(f"请填写{label}", field=field)
    if not all(_han(ch) or ch == MIDDLE_DOT for ch in value):
        raise InvalidInput("姓名只能是汉字（少数民族姓名中间可以有“·”），请照身份证填写", field=field)
    if value.startswith(MIDDLE_DOT) or value.endswith(MIDDLE_DOT) or MIDDLE_DOT * 2 in value:
        raise InvalidInput("“·”只能在姓名中间", field=field)
    if not 2 <= len(value) <= NAME_MAX:
        raise InvalidInput(f"姓名应为 2–{NAME_MAX} 个字", field=field)
    return value


def phone(raw, field: str | None = "phone") -> str:
    """An 11-digit mainland mobile number; +86, spaces, dashes and full-width digits are fine."""
    value = re.sub(r"[\s\-()]", "", half_width(text_of(raw, field)))
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    if not re.fullmatch(r"1[3-9][0-9]{9}", value, re.ASCII):
        raise InvalidInput("请输入 11 位手机号码，如 13912345678", field=field)
    return value


def credit_code(raw, field: str | None = "uscc") -> str:
    """An 18-character 统一社会信用代码 (GB 32100): upper case, check character right
    (stdnum.cn.uscc); full-width characters, spaces and dashes are fine."""
    value = re.sub(r"[\s\-]", "", half_width(text_of(raw, field))).upper()
    if len(value) != 18:
        raise InvalidInput("统一社会信用代码应为 18 位（数字和大写字母），请照营业执照填写", field=field)
    try:
        return _uscc.validate(value)
    except _uscc.InvalidChecksum:
        raise InvalidInput("统一社会信用代码有误，请逐位核对（最后一位校验码对不上）", field=field)
    except _uscc.ValidationError:
        raise InvalidInput("统一社会信用代码前 8 位应是数字，后面是数字或大写字母（不含 I、O、Z、S、V）",
                           field=field)


def sms_code(raw, field: str | None = "code") -> str:
    value = digits(raw, field, "请输入短信里的 6 位数字验证码", separators=" -")
    if len(value) != 6:
        raise InvalidInput("请输入短信里的 6 位数字验证码", field=field)
    return value


def id_number(raw, today: date | None = None, field: str | None = "id_number") -> str:
    """An 18-character 居民身份证号: check digit (x or X), a real birth date not in the future, and
    a region code that existed by the time the number could be issued. The code is that of the
    county where the number was first assigned, so people registered late (the 2016 registration
    of people without hukou) carry a code created after their birth: that is accepted. A code
    abolished before the birth date is not."""
    value = re.sub(r"\s", "", half_width(text_of(raw, field))).upper()
    if len(value) != 18:
        raise InvalidInput("身份证号应为 18 位，最后一位可能是 X", field=field)
    if not _ASCII_DIGITS.fullmatch(value[:17]) or not re.fullmatch(r"[0-9X]", value[17]):
        raise InvalidInput("身份证号前 17 位应是数字，最后一位是数字或 X", field=field)
    if value[17] != ric.calc_check_digit(value):
        raise InvalidInput("身份证号有误，请逐位核对（最后一位校验码对不上）", field=field)
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidInput("身份证号中的出生日期不存在，请逐位核对", field=field)
    from services.clock import today as china_today

    if born > (today or china_today()) or born.year < 1900:
        raise InvalidInput("身份证号中的出生日期不对，请逐位核对", field=field)
    if not region_valid_for(value[:6], born.year):
        raise InvalidInput("身份证号前 6 位地区码不对，请逐位核对", field=field)
    return value


def region_valid_for(code: str, birth_year: int) -> bool:
    """The code is known and was not abolished before the birth year (its start may be later)."""
    parts = numdb.get("cn/loc").info(code)
    info = {k: v for _, props in parts for k, v in props.items()}
    if "county" not in info:
        return False
    for county in info["county"].split(","):
        if not county.startswith("["):
            return True
        end = county[1:].split("]")[0].split("-")[1]
        if not end or birth_year <= int(end):
            return True
    return False


def sex_of(number: str) -> str:
    """female or male, from the 17th digit (even for women)."""
    return "female" if int(number[16]) % 2 == 0 else "male"


def birth_date_of(number: str) -> date:
    return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def calendar_date(raw, lo: date, hi: date, field: str | None = None) -> date:
    value = half_width(text_of(raw, field)).strip()
    try:
        day = date.fromisoformat(value) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value, re.ASCII) else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput("请选择或按“2026-12-01”的格式填写日期", field=field)
    if not lo <= day <= hi:
        raise InvalidInput(f"日期应在 {lo:%Y年%-m月%-d日} 到 {hi:%Y年%-m月%-d日} 之间", field=field)
    return day


def choice(raw, options, field: str | None = None, message: str = "请从列表中选择"):
    value = text_of(raw, field).strip()
    if value not in options:
        raise InvalidInput(message, field=field)
    return value


def last4(raw, field: str | None = "last4") -> str:
    """The last four characters of an ID number (…X too) or of a phone number."""
    value = re.sub(r"\s", "", half_width(text_of(raw, field))).upper()
    if not re.fullmatch(r"[0-9X]{4}", value, re.ASCII):
        raise InvalidInput("请输入申请人身份证号或手机号的后 4 位", field=field)
    return value


def is_row_id(value) -> bool:
    """A row number we issued, as it comes back in a URL: a positive integer a database integer
    column holds (a larger one would overflow the query, not just find nothing)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31


def is_key(value, max_len: int, extra: str = "") -> bool:
    """A number or key we issued, as it comes back in a URL (a case or order number, a file or
    booking code): ASCII letters and digits (and `extra`), at most `max_len`. Anything else is
    not looked up at all, so nothing strange reaches a query."""
    return (isinstance(value, str) and 0 < len(value) <= max_len and value.isascii()
            and value.translate({ord(c): None for c in extra}).isalnum())


def token(raw, field: str | None = None, max_len: int = 64) -> str:
    """An opaque key we issued (a draft key, a file key): URL-safe characters only."""
    value = text_of(raw, field).strip()
    if not value or len(value) > max_len or not re.fullmatch(r"[A-Za-z0-9_\-]+", value, re.ASCII):
        raise InvalidInput("页面已过期，请返回刷新后再操作", field=field)
    return value
