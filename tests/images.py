"""Files for upload tests, made here rather than shipped."""
import io

from PIL import Image


def photo_with_gps(size=(1200, 900)) -> bytes:
    """A JPEG carrying EXIF with a GPS position and a camera model, as phone photos do."""
    image = Image.new("RGB", size, (200, 180, 150))
    exif = Image.Exif()
    exif[0x0110] = "VillagePhone X1"  # Model
    exif[0x8825] = {1: "N", 2: (35.0, 40.0, 0.0), 3: "E", 4: (107.0, 12.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90)
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (300, 200), (255, 255, 255)).save(out, "PNG")
    return out.getvalue()


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
