"""Where uploaded materials and result files live: a folder under instance/ by default,
outside static/, so files are only ever served through a view that checks who is asking; or an
S3-compatible object store (MinIO, or a cloud's) when STORAGE=s3, each object encrypted at rest
by the store. Both have the same three methods, and both refuse with StorageFull when there is no
room left, having kept nothing of the file."""
from __future__ import annotations

import errno
import logging
import os
import tempfile
from pathlib import Path

from services.errors import DomainError

log = logging.getLogger(__name__)
FULL = {errno.ENOSPC, errno.EDQUOT}  # the disk, or this account's quota on it


class StorageFull(DomainError):
    """No room for the file: the person is told beside the upload, the operators in the log."""
    status = 507  # Insufficient Storage: the server's fault, seen as such in the access log

    def __init__(self, cause: Exception):
        super().__init__("服务器存储空间已满，文件没有保存，请稍后再试或到窗口办理", field="files")
        log.error("upload storage full: %s", cause)


class LocalStorage:
    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        if not key.replace("-", "").replace("_", "").isalnum():
            raise ValueError("bad storage key")
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(exist_ok=True)
            self._write_whole(path, data)
        except OSError as exc:
            if exc.errno in FULL:
                raise StorageFull(exc) from exc
            raise

    @staticmethod
    def _write_whole(path: Path, data: bytes) -> None:
        """Write beside, then rename: the file is there whole or not at all, even when the disk
        fills half way (the part written is removed)."""
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        except BaseException:  # a full disk, or the worker stopped mid-write
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)


class S3Storage:
    """An S3-compatible bucket (boto3). Objects are private (no public URL: files go out only
    through the app's checked views) and stored encrypted by the store (SSE)."""

    def __init__(self, bucket: str, client, prefix: str = "", encryption: str = "AES256"):
        self.bucket, self.client, self.prefix, self.encryption = bucket, client, prefix.strip("/"), encryption

    def _key(self, key: str) -> str:
        if not key.replace("-", "").replace("_", "").isalnum():
            raise ValueError("bad storage key")
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes) -> None:
        # One request: the object is there whole or not at all.
        extra = {"ServerSideEncryption": self.encryption} if self.encryption != "none" else {}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)
        except Exception as exc:
            if _store_is_full(exc):
                raise StorageFull(exc) from exc
            raise

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


def _store_is_full(exc: Exception) -> bool:
    """A store refusing for want of room: MinIO's XMinioStorageFull, or any 507 Insufficient Storage."""
    answer = getattr(exc, "response", None) or {}  # botocore's ClientError carries the store's answer
    return (answer.get("Error", {}).get("Code") == "XMinioStorageFull"
            or answer.get("ResponseMetadata", {}).get("HTTPStatusCode") == 507)


def make_storage(config: dict, default_root: Path):
    """STORAGE=local (the default) or s3 (S3_BUCKET, S3_ENDPOINT_URL for MinIO, keys from the
    environment as boto3 reads them, or S3_ACCESS_KEY_ID / S3_SECRET_ACCESS_KEY)."""
    kind = config.get("STORAGE") or "local"
    if kind == "local":
        return LocalStorage(config.get("UPLOAD_DIR") or default_root)
    if kind != "s3":
        raise RuntimeError(f"未知的文件存储 STORAGE={kind}")
    if not config.get("S3_BUCKET"):
        raise RuntimeError("STORAGE=s3 需要设置 S3_BUCKET")
    import boto3
    from botocore.config import Config as BotoConfig

    client = boto3.client("s3", endpoint_url=config.get("S3_ENDPOINT_URL") or None,
                          region_name=config.get("S3_REGION") or None,
                          aws_access_key_id=config.get("S3_ACCESS_KEY_ID") or None,
                          aws_secret_access_key=config.get("S3_SECRET_ACCESS_KEY") or None,
                          config=BotoConfig(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3},
                                            s3={"addressing_style": "path"}))
    return S3Storage(config["S3_BUCKET"], client, config.get("S3_PREFIX") or "",
                     config.get("S3_ENCRYPTION") or "AES256")
