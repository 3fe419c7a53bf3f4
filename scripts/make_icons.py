"""Draw the PNG app icons from the same shapes as static/icons/icon.svg. Run once after a change."""
from pathlib import Path

from PIL import Image, ImageDraw

BLUE, WHITE = (11, 87, 164), (255, 255, 255)
OUT = Path(__file__).resolve().parent.parent / "static" / "icons"


def draw(size: int, maskable: bool) -> Image.Image:
    s = size / 64
    img = Image.new("RGB", (size, size), BLUE if maskable else WHITE)
    d = ImageDraw.Draw(img)
    if not maskable:
        d.rounded_rectangle([4 * s, 4 * s, 60 * s, 60 * s], radius=11 * s, fill=BLUE)
    # Maskable icons keep their drawing inside the central safe zone (80 %).
    k, o = (0.7, 32 * (1 - 0.7)) if maskable else (1, 0)
    pt = lambda x, y: (o * s + x * k * s, o * s + y * k * s)  # noqa: E731
    d.polygon([pt(16, 30), pt(32, 18), pt(48, 30), pt(48, 46), pt(16, 46)], fill=WHITE)
    d.rectangle([pt(27, 35), pt(37, 46)], fill=BLUE)
    return img


if __name__ == "__main__":
    draw(192, False).save(OUT / "icon-192.png", optimize=True)
    draw(512, False).save(OUT / "icon-512.png", optimize=True)
    draw(512, True).save(OUT / "icon-maskable-512.png", optimize=True)
