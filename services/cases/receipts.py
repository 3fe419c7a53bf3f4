"""The codes printed on a receipt (回执): a QR code of the tracking link and a Code128 barcode
of the case number, both as inline SVG (no image requests, crisp on paper and screens)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import barcode
import qrcode

# Printed sizes live in CSS (.qr, .barcode in static/css): python-barcode's default 0.2 mm module
# does not decode from a 390 px phone screen; ours are ~0.55 mm on screen and A4, ~0.4 mm on an
# 80 mm slip, and tests/browser/test_apply_flow.py decodes all three with zxing-cpp.


def qr_svg(data: str) -> str:
    """One path of horizontal runs from qrcode's module matrix (quiet zone included)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=4)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    size = len(matrix)
    runs = []
    for y, row in enumerate(matrix):
        line = "".join("1" if dark else "0" for dark in row)
        for run in re.finditer(r"1+", line):
            runs.append(f"M{run.start()} {y}h{len(run.group())}v1h-{len(run.group())}z")
    return (f'<svg class="qr" role="img" aria-hidden="true" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {size} {size}" shape-rendering="crispEdges">'
            f'<rect width="{size}" height="{size}" fill="#fff"/><path fill="#000" d="{"".join(runs)}"/></svg>')


def code128_svg(number: str, quiet: int = 10, height: int = 48) -> str:
    """Bars drawn from python-barcode's module pattern, one SVG unit per module, so CSS sets
    the module size and no inline style is needed under our CSP."""
    pattern = barcode.get("code128", number).build()[0]
    bars, x = [], quiet
    for run in re.finditer(r"1+|0+", pattern):
        if run.group()[0] == "1":
            bars.append(f'<rect x="{x}" y="0" width="{len(run.group())}" height="{height}"/>')
        x += len(run.group())
    width = len(pattern) + 2 * quiet
    return (f'<svg class="barcode" role="img" aria-hidden="true" xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {width} {height}" shape-rendering="crispEdges" data-modules="{width}">'
            f'<rect width="{width}" height="{height}" fill="#fff"/><g fill="#000">{"".join(bars)}</g></svg>')


@dataclass(frozen=True)
class Receipt:
    """Everything a receipt (回执) shows, whichever front end prints it."""
    case: object
    item: object
    link: str
    qr: str
    barcode: str
    expected: date  # promised days counted from the day it was submitted
    estimated: bool  # a day counted is in a year whose holidays are not yet published
    township: str


def receipt_for(case) -> Receipt:
    from services.cases.lifecycle import track_link
    from services.clock import to_china
    from services.places import township_name
    from services.registry import registry
    from services.workdays import load_calendar

    link = track_link(case)
    expected, estimated = load_calendar().add_workdays(to_china(case.submitted_at).date(), case.promised_days)
    return Receipt(case, registry().catalog.get(case.item_code), link, qr_svg(link), code128_svg(case.number),
                   expected, estimated, township_name(case.township_id))
