"""The SeaweedFS fixture is a real S3: objects keep their bytes and content type, presigned URLs
work without the client's credentials, and anything not signed with the server's key is refused."""

from __future__ import annotations

import secrets

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.seaweedfs_server import SeaweedServer


def _altered_signature(url: str) -> str:
    start = url.index("X-Amz-Signature=") + len("X-Amz-Signature=")
    replacement = "0" if url[start] != "0" else "1"
    return url[:start] + replacement + url[start + 1 :]


def test_objects_presigned_urls_and_refused_keys(seaweed_s3: SeaweedServer) -> None:
    bucket = f"test-{secrets.token_hex(6)}"
    seaweed_s3.create_bucket(bucket)
    s3 = seaweed_s3.client()
    body = "Lesson one: home row. ✓".encode()
    s3.put_object(Bucket=bucket, Key="lessons/1.txt", Body=body, ContentType="text/plain")

    stored = s3.get_object(Bucket=bucket, Key="lessons/1.txt")
    assert stored["Body"].read() == body
    assert stored["ContentType"] == "text/plain"

    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "lessons/1.txt"}, ExpiresIn=60
    )
    fetched = httpx.get(url)
    assert fetched.status_code == 200
    assert fetched.content == body
    assert httpx.get(_altered_signature(url)).status_code == 403
    assert httpx.get(f"{seaweed_s3.endpoint_url}/{bucket}/lessons/1.txt").status_code == 403

    wrong_secret = seaweed_s3.client(secret_key=secrets.token_urlsafe(30))
    with pytest.raises(ClientError) as refused:
        wrong_secret.get_object(Bucket=bucket, Key="lessons/1.txt")
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    with pytest.raises(ClientError):
        wrong_secret.put_object(Bucket=bucket, Key="lessons/2.txt", Body=b"forged")
    with pytest.raises(ClientError) as unknown:
        seaweed_s3.client(access_key="AKUNKNOWN").list_buckets()
    assert unknown.value.response["Error"]["Code"] == "InvalidAccessKeyId"


def test_presigned_put_accepts_a_browser_style_upload(seaweed_s3: SeaweedServer) -> None:
    bucket = f"test-{secrets.token_hex(6)}"
    seaweed_s3.create_bucket(bucket)
    s3 = seaweed_s3.client()
    params = {"Bucket": bucket, "Key": "uploads/audio.webm", "ContentType": "audio/webm"}
    url = s3.generate_presigned_url("put_object", Params=params, ExpiresIn=60)
    data = secrets.token_bytes(4096)

    uploaded = httpx.put(url, content=data, headers={"content-type": "audio/webm"})
    assert uploaded.status_code == 200, uploaded.text
    # The content type is signed: the same URL with another one is refused.
    other_type = httpx.put(url, content=b"x", headers={"content-type": "text/html"})
    assert other_type.status_code == 403

    stored = s3.get_object(Bucket=bucket, Key="uploads/audio.webm")
    assert stored["Body"].read() == data
    assert stored["ContentType"] == "audio/webm"
