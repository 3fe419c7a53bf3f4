"""Uploaded materials in an S3-compatible object store, against a local S3 server (moto in server
mode): stored whole, encrypted at rest by the store, read back, deleted; the same flows as with
the local folder (an application's photo, read back by the clerk)."""
import io

import pytest

from services.storage import S3Storage, make_storage
from tests import images
from tests.web.test_office import staff  # noqa: F401  (the staff fixture)


@pytest.fixture(scope="module")
def s3_url():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def store(s3_url, tmp_path) -> S3Storage:
    import secrets

    bucket = "zhenyuan-" + secrets.token_hex(4)
    config = {"STORAGE": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": s3_url, "S3_REGION": "cn-northwest-1",
              "S3_ACCESS_KEY_ID": "test", "S3_SECRET_ACCESS_KEY": "test", "S3_PREFIX": "materials"}
    storage = make_storage(config, tmp_path)
    storage.client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "cn-northwest-1"})
    return storage


def test_an_object_is_stored_encrypted_read_back_and_deleted(store):
    store.put("ab12cd34", b"%PDF-1.4 materials")
    head = store.client.head_object(Bucket=store.bucket, Key="materials/ab12cd34")
    assert head["ServerSideEncryption"] == "AES256"
    assert store.get("ab12cd34") == b"%PDF-1.4 materials"
    store.delete("ab12cd34")
    with pytest.raises(store.client.exceptions.NoSuchKey):
        store.get("ab12cd34")
    with pytest.raises(ValueError):
        store.put("../escape", b"x")
    plain = S3Storage(store.bucket, store.client, "plain", encryption="none")  # a MinIO without a key service
    plain.put("ef56ab78", b"x")
    assert "ServerSideEncryption" not in store.client.head_object(Bucket=store.bucket, Key="plain/ef56ab78")


@pytest.mark.usefixtures("staff")
def test_an_application_photo_goes_to_the_store_and_the_clerk_reads_it_from_there(app, store):
    import re

    from sqlalchemy import select

    from extensions import db
    from services.cases.lifecycle import Case
    from services.registry import registry
    from tests.conftest import form_post, sign_in
    from tests.web.test_apply import FIELDS, ID_A, township_id
    from tests.web.test_office import login

    with app.app_context():
        local, registry().storage = registry().storage, store
    try:
        client = app.test_client()
        sign_in(client, "13900000001", "李秀英", ID_A)
        form_post(client, "/apply/621027-BM-004", {**FIELDS, "township_id": str(township_id(app))})
        photo = images.photo_with_gps()
        response = form_post(client, "/apply/621027-BM-004/materials",
                             {"material": "pregnancy_proof", "files": (io.BytesIO(photo), "b超.jpg")},
                             content_type="multipart/form-data")
        assert response.status_code == 303
        keys = [o["Key"] for o in store.client.list_objects_v2(Bucket=store.bucket).get("Contents", [])]
        assert len(keys) == 1 and keys[0].startswith("materials/")
        page = client.get("/apply/621027-BM-004/check").get_data(as_text=True)
        key = re.search(r'name="draft_key" value="([0-9a-f]+)"', page).group(1)
        form_post(client, "/apply/621027-BM-004/check", {"draft_key": key}, post_url="/apply/621027-BM-004/submit")
        clerk = login(app, "chengguan")
        with app.app_context():
            case_id = db.session.scalar(select(Case.id))
        link = re.search(r'href="(/office/files/[^"]+)"', clerk.get(f"/office/cases/{case_id}").get_data(as_text=True))
        served = clerk.get(link.group(1))
        assert served.status_code == 200 and served.data == store.get(keys[0].split("/", 1)[1])
    finally:
        with app.app_context():
            registry().storage = local
