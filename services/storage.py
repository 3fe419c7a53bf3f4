"""Where uploaded materials and result files live: a folder under instance/ by default,
outside static/, so files are only ever served through a view that checks who is asking; or an
S3-compatible object store (MinIO, or a cloud's) when STORAGE=s3, each object encrypted at rest
by the store. Both have the same three methods."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path


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
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent)  # write then rename: never a half file
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)

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
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **extra)

    def get(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))


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
