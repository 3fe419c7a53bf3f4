"""The disk filling up during an upload: the person reads why, beside the upload, and nothing is
kept — no part of a file on disk, no row for a file that is not there."""
import errno
import io
import os
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from extensions import db
from services.cases.materials import Upload
from services.storage import LocalStorage, S3Storage, StorageFull
from tests import factories, images
from tests.conftest import form_post, sign_in

BIRTH = "621027-BM-004"
FULL = "服务器存储空间已满，文件没有保存，请稍后再试或到窗口办理"


@pytest.fixture
def disk(monkeypatch):
    """The disk, made to fill up half way through the n-th file written from now on."""
    real_fdopen = os.fdopen

    class Disk:
        full_at, code, written = None, errno.ENOSPC, 0

        def fills(self, at_file: int = 1, code: int = errno.ENOSPC) -> None:
            self.full_at, self.code, self.written = at_file, code, 0

    disk = Disk()

    class FillingFile:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data: bytes) -> int:
            disk.written += 1
            if disk.full_at is None or disk.written < disk.full_at:
                return self.f.write(data)
            self.f.write(data[: len(data) // 2])
            self.f.flush()  # the first half is really on disk
            raise OSError(disk.code, os.strerror(disk.code))

    def fdopen(fd, mode="r", *args, **kwargs):
        f = real_fdopen(fd, mode, *args, **kwargs)
        return FillingFile(f) if mode == "wb" else f

    monkeypatch.setattr(os, "fdopen", fdopen)  # the lowest write LocalStorage makes
    return disk


@pytest.fixture
def villager(client):
    sign_in(client, "13900000001", "李秀英", factories.id_number("19900303", "222"))
    return client


def upload(client, *photos: bytes):
    files = [(io.BytesIO(photo), f"photo{n}.jpg") for n, photo in enumerate(photos, 1)]
    return form_post(client, f"/apply/{BIRTH}/materials", {"material": "pregnancy_proof", "files": files},
                     content_type="multipart/form-data")


def files_in(app) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def upload_rows(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Upload))


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT], ids=["ENOSPC", "EDQUOT"])
def test_a_full_disk_is_explained_beside_the_upload_and_nothing_is_kept(app, villager, disk, code):
    disk.fills(code=code)
    response = upload(villager, images.photo_with_gps())
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'<p class="error" id="material-pregnancy_proof-error">{FULL}</p>' in page
    assert files_in(app) == [] and upload_rows(app) == 0
    disk.fills(at_file=10**6)  # room again: the same upload goes through
    assert upload(villager, images.photo_with_gps()).status_code == 303
    assert len(files_in(app)) == 1 and upload_rows(app) == 1


def test_when_the_second_photo_finds_the_disk_full_the_first_goes_too(app, villager, disk):
    disk.fills(at_file=2)
    response = upload(villager, images.photo_with_gps(), images.photo_with_gps((800, 600)))
    assert response.status_code == 422 and FULL in response.get_data(as_text=True)
    assert files_in(app) == [] and upload_rows(app) == 0


def test_no_inode_left_for_a_new_file_is_a_full_disk_too(tmp_path, monkeypatch):
    def no_inode(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tempfile, "mkstemp", no_inode)
    with pytest.raises(StorageFull, match="存储空间已满"):
        LocalStorage(tmp_path).put("ab12cd34", b"%PDF-1.4")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_a_full_object_store_is_a_full_disk_too():
    from botocore.exceptions import ClientError

    class FullMinio:
        def put_object(self, **kwargs):
            raise ClientError({"Error": {"Code": "XMinioStorageFull", "Message": "Storage backend has reached its "
                               "minimum free drive threshold."}, "ResponseMetadata": {"HTTPStatusCode": 507}},
                              "PutObject")

    with pytest.raises(StorageFull, match="存储空间已满"):
        S3Storage("materials", FullMinio()).put("ab12cd34", b"%PDF-1.4")
