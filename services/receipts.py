"""The codes printed on a receipt (回执): a QR code of the tracking link and a Code128 barcode
of the case number, both as inline SVG (no image requests, crisp on paper and screens)."""
from __future__ import annotations

import re

import barcode
import qrcode
import qrcode.image.svg

# python-barcode's default module (0.2 mm) is too thin to decode from a phone screen at 390 px;
# 0.6 mm decodes from screen and from 80 mm paper (checked with zxing-cpp in the tests).
MODULE_MM = 0.6


def qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4,
                        error_correction=qrcode.constants.ERROR_CORRECT_M)
    return _inline(image.to_string(encoding="unicode"), "qr")


def code128_svg(number: str, quiet: int = 10, height: int = 48) -> str:
    """Bars drawn from python-barcode's module pattern, one SVG unit per module, so CSS sets
    the module size (see MODULE_MM) and no inline style is needed under our CSP."""
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


def _inline(svg: str, css_class: str) -> str:
    """Ready to sit inside HTML: no XML prolog or comments, sized by CSS through its viewBox."""
    svg = re.sub(r"<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--.*?-->", "", svg, flags=re.S).strip()
    svg = re.sub(r'\s(width|height)="[^"]*mm"', "", svg, count=2)
    return svg.replace("<svg ", f'<svg class="{css_class}" role="img" aria-hidden="true" ', 1)
