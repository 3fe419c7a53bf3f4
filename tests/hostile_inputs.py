"""A corpus of hostile inputs for tests/web/test_hostile_inputs.py: what villagers' phones, copy and
paste, input methods, scanners, bots and attackers actually send. Data only, no tests here.

CORPUS holds every value once; CORE is a smaller cut with a few of each kind, used where the full
corpus would be repetition (a second field of the same kind, a query parameter no view reads)."""
import io
import struct
import zlib

from stdnum.cn import ric


def make_id(region: str, birth: str, seq: str) -> str:
    """A valid 18-digit ID number (checksum computed)."""
    body = region + birth + seq
    return body + ric.calc_check_digit(body + "0")


VALID_ID = make_id("622827", "19580315", "002")  # 张桂兰 in data/demo_people.toml
LOWER_X_ID = next(make_id("622827", "19600101", f"{n:03d}") for n in range(1000)
                  if make_id("622827", "19600101", f"{n:03d}").endswith("X")).lower()
FUTURE_BIRTH_ID = make_id("621027", "20991231", "123")
LEAP_DAY_ID_BAD = "622827" + "19000229" + "1234"  # 1900 was not a leap year
_BAD_CHECK = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")

# name of the kind -> values. The first few of each kind go into CORE.
KINDS: dict[str, list[str]] = {
    "unicode digits": [
        "³", "①", "١٢٣", "１３９００００００１", "²⁰²⁶", "⑩", "⓪", "۱۲۳", "०१२", "๑๒๓", "𝟏𝟐𝟑", "Ⅻ", "½",
        "〇", "一二三", "壹佰", "1³", "₁₂", "³³³", "１", "１２", "①②③④⑤⑥⑦⑧⑨⑩①②", "139０００００００1",
        "١", "٣", "¹", "²", "⁰", "⑨⑨",
    ],
    "numbers": [
        "NaN", "nan", "Infinity", "-Infinity", "sNaN", "1e309", "-1", "0", "99999999999999999999999", "1.5",
        "-nan", "-sNaN", "inf", "-inf", "+Infinity", "NAN", " NaN ", "Inf", "snan", "-1e309", "1e-309", "1e9",
        "1E9", "-0", "00", "0.0", "-1.5", "0x10", "0b1", "0o7", "1_000", "1,000", "1 000", "+1", "9" * 400,
        "9223372036854775807", "9223372036854775808", "-9223372036854775809", "2147483648", "4294967296",
        "18446744073709551616", "1e100", "1.", ".5", "5e-324", "0e0", "1/2", "１.５", "１e９", "1.5e3",
        "1000000001", "-99999999999999999999999", "0.1e-999999999",
    ],
    "blank": [
        "", " ", "\t", "\n", "\r\n", "\u3000", "\u00a0", "\u200b", "\ufeff", "\u2028", "\u2029", "\u180e",
        "\u2800", "\u115f", "     ",
    ],
    "control characters": [
        "\x00", "a\x00b", "\x00" * 10, "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b[31m红\x1b[0m", "\x7f",
        "\x85", "\x9b", "\r", "abc\rdef", "\x1f",
    ],
    "bidi and zero width": [
        "\u202e", "\u2066", "\u202eabc", "\u2066x\u2069", "\u2067", "\u2068", "\u200d", "\u200c",
        "\u200e", "\u200f", "\u061c", "李\u200b秀英", "\u202e1000\u202c", "13900000001\u202e",
        "👨\u200d👩\u200d👧",
    ],
    "emoji and astral": [
        "😀", "王𠈌", "👍🏽", "🏳️‍🌈", "🇨🇳", "𠈌", "𪚥", "\U0010ffff", "\ufffd", "\uffff", "\ufffe", "\ue000",
        "e\u0301", "Z̷̢̛a̴l̶g̷o̵", "a" + "\u0301" * 100,
    ],
    "names": [
        "阿卜杜·热合曼", "阿卜杜•热合曼", "欧阳娜娜", "李", "李" * 21, "O'Brien", "Müller", "ﾀﾅｶ", "Иванов",
        "张三3", "张 三", " 张三 ", "张\t三", "张三\n李四", "艾合买提·买买提", "𠮷野家", "龘靐齉爩", "田中 太郎",
        "ａｄｍｉｎ", "İ", "ß", "ǅ", "ﷺ", "K", "ſ", "ﬁ", "Ⓐ",
    ],
    "ID numbers": [
        LOWER_X_ID, FUTURE_BIRTH_ID, VALID_ID, _BAD_CHECK, VALID_ID[:17], VALID_ID + "1",
        " ".join([VALID_ID[:6], VALID_ID[6:14], VALID_ID[14:]]), VALID_ID[:6] + "-" + VALID_ID[6:],
        VALID_ID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")), LEAP_DAY_ID_BAD,
        "000000000000000000", "111111111111111111", "X" * 18, VALID_ID[:17] + "３", VALID_ID[:15],
        VALID_ID + " ", "\u200b" + VALID_ID, "x" * 18,
    ],
    "phones": [
        "+8613900000001", "8613900000001", "139 0000 0001", "139-0000-0001", "1390000000", "139000000011",
        "12345678901", "00000000000", "13900000001\x00", "13900000001\n", "tel:13900000001",
        "139٠٠٠٠٠٠٠1", "8613900000001000", "+86 139 0000 0001 转 123",
    ],
    "dates": [
        "2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31", "0001-01-01", "2026/12/01", "2026-1-1",
        "２０２６-１２-０１", "2026-12-01T00:00:00", "20261201", "-2026-12-01", "+2026-12-01", "2026-W01-1",
        "10000-01-01", "2026-12-01\x00", "2026-12-01 23:59:60",
    ],
    "markup": [
        "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>", "<svg/onload=alert(1)>",
        "javascript:alert(1)", "</textarea><script>alert(1)</script>", "<!--", "]]>", "&lt;&#0;", "&#x0;",
        "'\"`", "<a href=//evil.example>x</a>", "<iframe src=//evil.example>", "<style>*{}</style>",
    ],
    "templates and format strings": [
        "{{7*7}}", "{0}", "%s%s%s", "{% for x in range(99999999) %}x{% endfor %}", "${7*7}", "#{7*7}",
        "<%= 7*7 %>", "{{config}}", "{{''.__class__.__mro__}}", "{0.__class__}", "{}", "%n%n%n", "%x%x",
        "%(x)s", "%", "%%", "{{", "}}", "{#", "\\", "\\\\", "\\x00", "\\u0000", "\\n",
    ],
    "SQL": [
        "' OR '1'='1", "'; DROP TABLE cases;--", "1; SELECT pg_sleep(5)", "\" OR \"\"=\"",
        "1' AND SLEEP(5)#", "admin'--", "%' OR 1=1 --", "_", "*", "' UNION SELECT * FROM staff_users--",
        "1)) OR ((1=1", "';\x00--",
    ],
    "paths and URLs": [
        "../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/passwd", "....//....//etc/passwd", "..", ".",
        "/", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
        "https://evil.example", "http:evil.example", "/%09/evil.example", "/\t/evil.example",
        "javascript://%0aalert(1)", "file:///etc/passwd", "C:\\Windows", "CON", "NUL", "~/.ssh/id_rsa",
        "/office", "/office/../office/accounts", "%2e%2e%2f", "%ff%fe", "%00", "%c0%ae%c0%ae/", "/\u3002evil.example",
    ],
    "newline injection": [
        "a\r\nSet-Cookie: x=1", "a\nb", "\r\nLocation: //evil.example", "%0d%0aSet-Cookie:x=1",
        "line1\u2028line2", "a\rb", "\n\n\n", "ok\r\n\r\n<h1>x</h1>",
    ],
    "redirect targets on this site, almost": [
        "/\r\nSet-Cookie: x=1", "/office\r\nSet-Cookie: x=1", "/office/\nX-Injected: 1", "/\x00",
        "/office/\x00", "/office//evil.example", "/office/..//evil.example", "/office\\..\\evil.example",
        "/%0d%0aSet-Cookie:%20x=1", "/\u2028", "/office?next=//evil.example",
    ],
    "long": [
        "a" * 10000, "中" * 10000, "1" * 10000, "😀" * 5000, "A" * 1001, "中" * 101, "中" * 1001, " " * 10000,
        "<" * 5000, "9" * 19, "[" * 1000, "a" * 65, "a" * 201, "a" * 501,
    ],
    "look-alikes and odd words": [
        "true", "false", "null", "None", "undefined", "[]", "{}", "[1]", "{\"a\":1}", "__proto__",
        "constructor", "__class__", "check", "80mm", "on", "yes", "self", "family", "approved", "denied",
        "accept", "supplement", "window", "post", "electronic", "pay", "open", "submitted", "admin", "1", "x", "X",
    ],
    "case numbers": [
        "zy 261125 00001 9", "ZY" + "9" * 12, "ZY00000000000X", "ZY2611250000１X", "ZY26112500001X" + "\x00",
        "ZY-261125-00001-X", "zy26112500001x",
    ],
}

CORPUS: list[str] = list(dict.fromkeys(v for values in KINDS.values() for v in values))

# A few of every kind, for a field exactly like one already probed, or where each accepted value
# costs a new case: the values most likely to break parsing, storage, display or redirects.
MINI: list[str] = [
    "³", "①", "１３９００００００１", "NaN", "-1", "99999999999999999999999", "1.5", "", " ", "\x00",
    "\u202e", "😀", "王𠈌", "<script>alert(1)</script>", "{{7*7}}", "%s%s%s", "' OR '1'='1",
    "../../etc/passwd", "a\r\nSet-Cookie: x=1", "/\r\nSet-Cookie: x=1", "a" * 10000, "中" * 1001, LOWER_X_ID,
]
# More of every kind: the values named in the brief for this test and their close relatives.
CORE: list[str] = list(dict.fromkeys(MINI + [
    "١٢٣", "²⁰²⁶", "⑩", "½", "nan", "Infinity", "-Infinity", "sNaN", "1e309", "0", "0x10", "1 000", "1e9",
    "9223372036854775808", "\t", "\u3000", "\u200b", "\ufeff", "a\x00b", "\x7f", "\u2066", "\u200d",
    "\U0010ffff", "阿卜杜·热合曼", "李" * 21, FUTURE_BIRTH_ID, VALID_ID,
    " ".join([VALID_ID[:6], VALID_ID[6:14], VALID_ID[14:]]),
    VALID_ID.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")), "+8613900000001", "139 0000 0001",
    "2026-02-30", "0000-00-00", "２０２６-１２-０１", "\"><img src=x onerror=alert(1)>",
    "</textarea><script>alert(1)</script>", "{{config}}", "{% for x in range(99999999) %}x{% endfor %}", "{0}",
    "'; DROP TABLE cases;--", "//evil.example", "/\\evil.example", "https://evil.example", "%ff%fe",
    "\r\nLocation: //evil.example", "中" * 10000, "1" * 10000, "中" * 101, "zy 261125 00001 9",
]))
# Smaller cuts: for the next copy of a field already probed, and where every accepted value costs a case.
MICRO: list[str] = MINI[::3]
NANO: list[str] = ["", "１３９００００００１", "<script>alert(1)</script>", "\x00"]
assert set(CORE) <= set(CORPUS), "every cut is part of the corpus"

# For <int:...> path converters: what routing lets through, and what it should turn away.
INT_PATH_VALUES = ["99999999999999999999999", "9223372036854775808", "18446744073709551616",
                   "9223372036854775807", "2147483648", "0", "000", "00001", "-1", "1.5", "１２", "³", "1e9"]

# Put into a URL as they are: percent-encodings that are not UTF-8, NUL, and other oddities.
RAW_PATH_SEGMENTS = ["%ff%fe", "%00", "%c0%ae%c0%ae", "%e2%80", "%", "%zz", "%2e%2e", "..%2f..%2fetc%2fpasswd",
                     "%0d%0aSet-Cookie:%20x=1", "%e2%80%ae", "a%2fb", "%25"]
RAW_QUERY_VALUES = ["%ff%fe", "%00", "%e2%80", "%", "%zz", "%c0%af", "%0d%0a"]

# Query parameter names the views read (request.args.get / getlist), collected from the code;
# the test adds any it finds in the view modules' source or in GET forms.
PARAM_NAMES = ["after", "status", "item", "q", "next", "k", "return", "paper", "useful", "on", "action",
               "target", "phone", "timeout", "v", "code", "number", "page", "id"]

# Department exchange: raw bodies for POST …/events and `after` values for GET …/cases.
DEEP_LIST = b"[" * 10000 + b"]" * 10000
DEEP_OBJECT = b'{"a":' * 10000 + b"1" + b"}" * 10000
AFTER_VALUES = ["³", "-1", "1e9", "NaN", "①", "99999999999999999999999", "9223372036854775808", "١٢٣", "１２",
                "", " ", "0x10", "1.5", "Infinity"]


def push_payloads() -> list[tuple[str, str, object]]:
    """(label, the case status the push is made against, payload or raw bytes)."""
    bad_materials = [[99], "abc", [-1], [], [None], [1.5], ["0"], {"0": 1}, 99, "NaN", [True], [[3]],
                     [3, 3, 99], [10 ** 30], ["³"], None]
    out: list[tuple[str, str, object]] = [
        ("deeply nested JSON list", "submitted", DEEP_LIST),
        ("deeply nested JSON object", "submitted", DEEP_OBJECT),
        ("2 MB JSON note", "submitted", {"request_id": "big", "action": "accept", "note": "中" * 700_000}),
        ("2 MB JSON list", "submitted", b"[" + b"1," * 1_000_000 + b"1]"),
        ("non-JSON body", "submitted", b"this is not json"),
        ("invalid UTF-8 body", "submitted", b"\xff\xfe{\"action\": \"accept\"}"),
        ("empty body", "submitted", b""),
        ("JSON null", "submitted", b"null"),
        ("JSON string", "submitted", b'"accept"'),
        ("JSON list", "submitted", b'[{"request_id": "r", "action": "accept"}]'),
        ("NaN literal", "submitted", b'{"request_id": NaN, "action": "accept"}'),
        ("duplicate keys", "submitted", b'{"request_id": "d", "action": "accept", "action": "deliver"}'),
        ("action as list", "submitted", {"request_id": "r", "action": ["accept"]}),
        ("action as object", "submitted", {"request_id": "r", "action": {"accept": 1}}),
        ("request_id as object", "submitted", {"request_id": {"a": 1}, "action": "accept"}),
        ("request_id as list", "submitted", {"request_id": ["a"], "action": "accept"}),
        ("request_id huge", "submitted", {"request_id": "r" * 10000, "action": "accept"}),
        ("request_id 1e309", "submitted", b'{"request_id": 1e309, "action": "accept"}'),
        ("note as object", "submitted", {"request_id": "n", "action": "accept", "note": {"x": [1]}}),
        ("decision as list", "accepted", {"request_id": "c", "action": "complete", "decision": ["approved"]}),
        ("decision as object", "accepted", {"request_id": "c", "action": "complete", "decision": {"a": 1}}),
        ("tracking_number as object", "completed",
         {"request_id": "t", "action": "deliver", "tracking_number": {"a": 1}}),
    ]
    for action in ["withdraw", "resubmit", "ACCEPT", "", None, 1, "logistics", "__class__", "accept\x00",
                   "accept ", "submit", "\u202eaccept"]:
        out.append((f"action {action!r}", "submitted", {"request_id": "u", "action": action}))
    for materials in bad_materials:
        out.append((f"supplement materials {materials!r}", "accepted",
                    {"request_id": "m", "action": "supplement", "note": "请补正", "materials": materials}))
    return out


# Upload bodies: (label, file name, bytes). Valid images are made with Pillow at import.
def _png(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (250, 250, 250)).save(out, "PNG")
    return out.getvalue()


def _jpeg(width: int, height: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 180, 150)).save(out, "JPEG", quality=80)
    return out.getvalue()


def _png_header(width: int, height: int, idat: bytes = b"") -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + (chunk(b"IDAT", idat) if idat else b"") + chunk(b"IEND", b"")


SMALL_PNG = _png(40, 30)
SMALL_JPEG = _jpeg(40, 30)


def bad_uploads() -> list[tuple[str, str, bytes]]:
    jpeg = _jpeg(400, 300)
    return [
        ("empty file", "empty.jpg", b""),
        ("text named .jpg", "photo.jpg", b"just some text, not a photo\n" * 10),
        ("truncated JPEG", "half.jpg", jpeg[: len(jpeg) // 2]),
        ("JPEG magic only", "magic.jpg", b"\xff\xd8\xff"),
        ("JPEG header then garbage", "garbage.jpg", b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + b"\xde\xad" * 500),
        ("PDF header without %%EOF", "half.pdf", b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n"),
        ("PDF magic only", "magic.pdf", b"%PDF-"),
        ("huge-dimension PNG header", "huge.png", _png_header(100_000, 100_000)),
        ("PNG 65535x65535 header", "wide.png", _png_header(65535, 65535, zlib.compress(b"\x00" * 64))),
        ("PNG header without image data", "nodata.png", _png_header(10, 10)),
        ("PNG with broken IDAT", "broken.png", _png_header(10, 10, b"not zlib at all")),
        ("PNG magic only", "magic.png", b"\x89PNG\r\n\x1a\n"),
        ("GIF named .jpg", "anim.jpg", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04"
                                      b"\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"),
        ("SVG with script named .png", "x.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("HTML named .pdf", "x.pdf", b"<html><script>alert(1)</script></html>"),
        ("ZIP named .pdf", "x.pdf", b"PK\x03\x04" + b"\x00" * 100),
        ("UTF-16 BOM then PDF", "bom.pdf", b"\xff\xfe%PDF-1.4\n%%EOF\n"),
        ("11 MB JPEG-looking file", "big.jpg", b"\xff\xd8\xff" + b"\0" * (11 * 1024 * 1024)),
    ]


def hostile_file_names() -> list[str]:
    """Names sent with a valid small PNG: every one must be stored harmlessly or refused."""
    return ["../../etc/passwd", "..\\..\\win.ini", "/etc/passwd", "a\x00.png", "<script>alert(1)</script>.png",
            "{{7*7}}.png", "%s%s%s.png", "中" * 300 + ".png", "a" * 10000 + ".png", " ", ".png", "CON.png",
            "\u202egnp.exe", "photo.jpg\r\nX-Injected: 1", "\"quoted\".png", "';DROP TABLE uploads;--.png",
            "😀.png", "王𠈌.png", "photo.png\x7f", "\t", "%ff%fe.png", "nul\x00"]
