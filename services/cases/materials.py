"""Uploaded materials (材料): checked by content, not by name; size-capped; images re-encoded
with Pillow so EXIF (GPS position, phone model) is gone; stored under an unguessable key."""
from __future__ import annotations

import hashlib
import io
import secrets
import warnings
from datetime import date, datetime

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import DateTime, ForeignKey, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from services import inputs
from services.clock import to_china, utcnow
from services.errors import DomainError, NotFound

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000  # refuse decompression bombs long before they reach memory
LONG_SIDE = 2400  # plenty to read a document; a quarter of a phone photo's bytes
KINDS = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png", b"%PDF-": "application/pdf"}
TOO_BIG = "文件太大了（每个不超过 10 MB）。照片可以用手机自带的“编辑”缩小后再传"
WRONG_KIND = "只能上传 JPG、PNG 照片或 PDF 文件"
RESULT = "_result"  # not a valid catalog key, so it never clashes with one


class Upload(db.Model):
    __tablename__ = "uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)  # the applicant
    actor_kind: Mapped[str] = mapped_column(String(12), default="citizen")  # who uploaded it
    actor_id: Mapped[int | None] = mapped_column(Integer)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("drafts.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # The catalog material's key (RESULT for a result staff hand over): never a list position.
    material_key: Mapped[str] = mapped_column(String(40))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    original_name: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The file deleted at the end of its retention period (services.retention); the row stays, so
    # the case still says what was handed in, and when it went.
    purged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def purged_on(self) -> date | None:
        """The China date its file was deleted, as pages say it."""
        return to_china(self.purged_at).date() if self.purged_at else None


def sniff(data: bytes) -> str:
    for magic, kind in KINDS.items():
        if data.startswith(magic):
            return kind
    raise DomainError(WRONG_KIND, field="files")


def clean(data: bytes) -> tuple[bytes, str]:
    """Check a file and return what we store: re-encoded images, PDFs as they came."""
    if len(data) > MAX_BYTES:
        raise DomainError(TOO_BIG, field="files")
    if not data:
        raise DomainError("文件是空的，请重新选择", field="files")
    kind = sniff(data)
    if kind == "application/pdf":
        if b"%%EOF" not in data[-2048:]:
            raise DomainError("这个 PDF 文件不完整，请重新导出后上传", field="files")
        return data, kind
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise DomainError("图片像素太大，请缩小后上传", field="files")
            image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):
        raise DomainError("图片已损坏或不是真正的图片，请重新拍照上传", field="files")
    image = ImageOps.exif_transpose(image)  # keep the photo upright once EXIF is gone
    image.thumbnail((LONG_SIDE, LONG_SIDE))
    out = io.BytesIO()
    if kind == "image/png":
        image.save(out, "PNG", optimize=True)
    else:
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue(), kind


def uploads_of(draft_id: int | None = None, case_id: int | None = None) -> list[Upload]:
    column, value = (Upload.draft_id, draft_id) if draft_id is not None else (Upload.case_id, case_id)
    return list(db.session.scalars(select(Upload).where(column == value).order_by(Upload.id)))


def store_files(storage, files: list[tuple[str, bytes]], owner_id: int, material_key: str, actor,
                draft_id: int | None = None, case_id: int | None = None, commit: bool = True) -> list[Upload]:
    """All files of one upload are checked first, then stored together, or none of them. With
    commit=False the caller commits (or calls discard() on failure)."""
    if not files:
        raise DomainError("请选择要上传的照片或文件", field="files")
    cleaned = [(name, *clean(data)) for name, data in files]
    uploads, keys = [], []
    try:
        for name, data, kind in cleaned:
            upload = Upload(key=secrets.token_urlsafe(24), owner_id=owner_id, draft_id=draft_id,
                            case_id=case_id, material_key=material_key, actor_kind=actor.kind,
                            actor_id=actor.id, content_type=kind,
                            size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                            original_name=_file_name(name))
            storage.put(upload.key, data)
            keys.append(upload.key)
            db.session.add(upload)
            uploads.append(upload)
        db.session.flush()
        if commit:
            db.session.commit()
    except Exception:
        db.session.rollback()
        for key in keys:
            storage.delete(key)
        raise
    return uploads


def discard(storage, uploads: list[Upload]) -> None:
    """Undo store_files(commit=False) whose transaction was rolled back: the bytes go too."""
    for upload in uploads:
        storage.delete(upload.key)


def _file_name(name: str) -> str:
    """The name shown back to people: its last part, without control or invisible characters."""
    import unicodedata

    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    return name[-120:] or "材料"


def check_kept(upload: Upload) -> Upload:
    """The upload, unless its file was deleted at the end of its retention period: then a
    message saying so, never a missing file's error."""
    if upload.purged_at is not None:
        raise NotFound(f"这份材料已按保存期限于{upload.purged_on:%Y年%-m月%-d日}删除，不能再查看。"
                       "办理结果不受影响；如有疑问，请联系办理窗口")
    return upload


def file_for(key: str) -> Upload | None:
    if not inputs.is_key(key, 64, "-_"):
        return None
    return db.session.scalar(select(Upload).where(Upload.key == key))
