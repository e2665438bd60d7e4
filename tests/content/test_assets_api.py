"""Lesson media over GraphQL on both stores: an admin's upload is checked before any row is
written, images get WebP renditions, links are signed for those entitled only and end with
their access, covers are public."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from PIL import Image

from datasources.backends import Backends
from records.subscriptions import NewSubscription
from tests.conftest import graphql, token_for
from tests.content.media_files import fetch, png, post_form
from tests.content.test_lessons_api import LEARNER, add_lesson
from tests.db_state import written
from tests.factories import add_course
from tests.graphql_flows import ENROLL

ADMIN = token_for(1, admin=True)
_ERRORS = "... on UserError { message } ... on InvalidInput { field }"
CREATE_UPLOAD = f"""mutation($l: ID!, $kind: AssetKind!, $type: String!, $bytes: Int!) {{
  createAssetUpload(lessonId: $l, kind: $kind, contentType: $type, bytes: $bytes) {{
    __typename ... on AssetUpload {{ assetId url fields {{ name value }} expiresAt }}
    {_ERRORS} }} }}"""
CREATE_COVER = f"""mutation($c: ID!, $type: String!, $bytes: Int!) {{
  createCoverUpload(courseId: $c, contentType: $type, bytes: $bytes) {{
    __typename ... on AssetUpload {{ assetId url fields {{ name value }} }} {_ERRORS} }} }}"""
COMPLETE = f"""mutation($a: ID!) {{ completeAssetUpload(assetId: $a) {{ __typename
  ... on AssetPayload {{ asset {{ id kind contentType bytes width height url
    variants {{ name width height contentType url }} }} }} {_ERRORS} }} }}"""
ASSETS = """query($id: ID!) { lesson(id: $id) { assets { __typename
  ... on AssetList { items { id kind contentType bytes width url expiresAt
    variants { name width contentType url } } } ... on NotEntitled { message } } } }"""
COVER = "query($id: ID!) { course(id: $id) { coverImage { url width height variants { width } } } }"


async def upload(
    client: httpx.AsyncClient,
    backends: Backends,
    lesson_id: int,
    data: bytes,
    content_type: str,
    kind: str = "IMAGE",
    sent: bytes | None = None,
) -> str:
    variables = {"l": str(lesson_id), "kind": kind, "type": content_type, "bytes": len(data)}
    grant = (await graphql(client, CREATE_UPLOAD, variables, ADMIN))["data"]["createAssetUpload"]
    assert grant["__typename"] == "AssetUpload", grant
    fields = {f["name"]: f["value"] for f in grant["fields"]}
    posted = await post_form(
        client, backends, grant["url"], fields, data if sent is None else sent, content_type
    )
    assert posted.status_code in (200, 201, 204), posted.text
    return str(grant["assetId"])


async def complete_upload(client: httpx.AsyncClient, asset_id: str) -> Any:
    return (await graphql(client, COMPLETE, {"a": asset_id}, ADMIN))["data"]["completeAssetUpload"]


async def _assets(client: httpx.AsyncClient, lesson_id: int, token: str | None) -> Any:
    body = await graphql(client, ASSETS, {"id": str(lesson_id)}, token)
    assert "errors" not in body, body
    return body["data"]["lesson"]["assets"]


async def test_an_image_becomes_webp_renditions_behind_signed_links(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Home row", exercises=0)
    diagram = png(900, 300)
    asset_id = await upload(client, backends, lesson.id, diagram, "image/png")
    completed = await complete_upload(client, asset_id)
    assert completed["__typename"] == "AssetPayload", completed
    asset = completed["asset"]
    assert (asset["id"], asset["width"], asset["height"]) == (asset_id, 900, 300)
    assert [(v["name"], v["width"], v["height"]) for v in asset["variants"]] == [
        ("webp-320", 320, 107),
        ("webp-640", 640, 213),
        ("webp-900", 900, 300),
    ]
    again = (await complete_upload(client, asset_id))["asset"]
    assert (again["id"], [v["name"] for v in again["variants"]]) == (
        asset_id,
        ["webp-320", "webp-640", "webp-900"],
    )
    rows = await backends.catalog_engine.fetch_all("SELECT id FROM content_assets")
    assert [str(row[0]) for row in rows] == [asset_id]  # completing again wrote nothing

    learner = token_for(LEARNER)
    assert (await _assets(client, lesson.id, learner))["__typename"] == "NotEntitled"
    assert (await _assets(client, lesson.id, None))["__typename"] == "NotEntitled"
    await graphql(client, ENROLL, {"c": str(course.id)}, learner)
    (item,) = (await _assets(client, lesson.id, learner))["items"]
    original = await fetch(client, backends, item["url"])
    assert original.status_code == 200 and original.content == diagram
    assert original.headers["content-type"].startswith("image/png")
    small = await fetch(client, backends, item["variants"][0]["url"])
    assert small.status_code == 200
    with Image.open(io.BytesIO(small.content)) as decoded:
        assert (decoded.format, decoded.size) == ("WEBP", (320, 107))
    expires_at = datetime.fromisoformat(item["expiresAt"])
    assert datetime.now(UTC) < expires_at <= datetime.now(UTC) + timedelta(minutes=10)


async def test_a_link_ends_with_the_subscription_that_grants_it(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Home row", exercises=0)
    await complete_upload(
        client, await upload(client, backends, lesson.id, png(50, 50), "image/png")
    )
    ends = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=2)
    await backends.uncached_subscriptions.bulk_insert(
        [NewSubscription(LEARNER, course.id, datetime.now(UTC), ends, "test")]
    )
    (item,) = (await _assets(client, lesson.id, token_for(LEARNER)))["items"]
    assert datetime.fromisoformat(item["expiresAt"]) == ends


async def test_a_file_that_is_not_what_it_claims_leaves_no_asset(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Home row", exercises=0)
    before = await written(backends)
    fake_png = b"%PDF-1.7 not an image at all" + bytes(100)
    asset_id = await upload(client, backends, lesson.id, fake_png, "image/png")
    refused = await complete_upload(client, asset_id)
    assert (refused["__typename"], refused["field"]) == ("InvalidInput", "assetId")
    assert "not image/png" in refused["message"]
    assert await backends.objects.stat(f"uploads/{asset_id}") is None
    truncated = png(200, 200)[:-40] + bytes(40)
    broken_id = await upload(client, backends, lesson.id, truncated, "image/png")
    assert (await complete_upload(client, broken_id))["__typename"] == "InvalidInput"
    assert (await complete_upload(client, "123456789"))["__typename"] == "NotFound"
    assert await written(backends) == before


async def test_upload_requests_are_checked_before_a_form_is_signed(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Home row", exercises=0)
    cases = {
        "contentType": ("IMAGE", "image/gif", 100),
        "bytes": ("IMAGE", "image/png", 50 * 1024 * 1024),
        "bytes-empty": ("PDF", "application/pdf", 0),
    }
    for field, (kind, content_type, size) in cases.items():
        variables = {"l": str(lesson.id), "kind": kind, "type": content_type, "bytes": size}
        refused = (await graphql(client, CREATE_UPLOAD, variables, ADMIN))["data"][
            "createAssetUpload"
        ]
        assert (refused["__typename"], refused["field"]) == ("InvalidInput", field.split("-")[0])
    variables = {"l": str(lesson.id), "kind": "PDF", "type": "application/pdf", "bytes": 10}
    for token, expected in ((None, "Unauthenticated"), (token_for(LEARNER), "Forbidden")):
        denied = await graphql(client, CREATE_UPLOAD, variables, token)
        assert denied["data"]["createAssetUpload"]["__typename"] == expected
    missing = await graphql(client, CREATE_UPLOAD, {**variables, "l": "987654"}, ADMIN)
    assert missing["data"]["createAssetUpload"]["__typename"] == "NotFound"


async def test_a_preview_lesson_shows_its_media_to_everyone(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Try it", preview=True, exercises=0)
    handout = b"%PDF-1.7 keyboard chart" + bytes(500)
    pdf_id = await upload(client, backends, lesson.id, handout, "application/pdf", "PDF")
    assert (await complete_upload(client, pdf_id))["asset"]["variants"] == []
    (item,) = (await _assets(client, lesson.id, None))["items"]
    assert (item["kind"], item["bytes"]) == ("PDF", len(handout))
    assert (await fetch(client, backends, item["url"])).content == handout


async def test_a_cover_is_public_and_shows_on_the_course(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    assert (await graphql(client, COVER, {"id": str(course.id)}))["data"]["course"][
        "coverImage"
    ] is None
    cover = png(1600, 900)
    variables = {"c": str(course.id), "type": "image/png", "bytes": len(cover)}
    grant = (await graphql(client, CREATE_COVER, variables, ADMIN))["data"]["createCoverUpload"]
    fields = {f["name"]: f["value"] for f in grant["fields"]}
    await post_form(client, backends, grant["url"], fields, cover, "image/png")
    assert (await complete_upload(client, grant["assetId"]))["__typename"] == "AssetPayload"
    shown = (await graphql(client, COVER, {"id": str(course.id)}))["data"]["course"]["coverImage"]
    assert (shown["width"], shown["height"]) == (1280, 720)
    assert [v["width"] for v in shown["variants"]] == [320, 640, 1280]
    assert "signature" not in shown["url"].lower()
