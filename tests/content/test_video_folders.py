"""A video lesson's HLS folder over GraphQL on both stores: uploaded file by file, checked and
promoted as a whole, played through the playlists the gateway serves with signed links to every
segment, refused whole when it is not what was declared."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from datasources.backends import Backends
from datasources.objects.hls_playlists import PLAYLIST_PATH
from datasources.objects.local_store import LocalObjectStore
from domain.content.hls import PLAYLIST_TYPE
from tests.conftest import graphql, token_for
from tests.content.hls_folders import SEGMENT_SECONDS, media_playlist, ts_segment, video_folder
from tests.content.media_files import fetch, post_form
from tests.content.test_assets_api import ADMIN, ASSETS, complete_upload
from tests.content.test_lessons_api import LEARNER, add_lesson
from tests.db_state import written
from tests.factories import add_course
from tests.graphql_flows import ENROLL

CREATE_VIDEO = """mutation($l: ID!, $files: [VideoFileInput!]!) {
  createVideoUpload(lessonId: $l, files: $files) { __typename
    ... on VideoUpload { assetId expiresAt files { path url fields { name value } } }
    ... on UserError { message } ... on InvalidInput { field } } }"""


async def _create(
    client: httpx.AsyncClient, lesson_id: int, files: dict[str, bytes], token: str = ADMIN
) -> Any:
    declared = [{"path": path, "bytes": len(data)} for path, data in files.items()]
    body = await graphql(client, CREATE_VIDEO, {"l": str(lesson_id), "files": declared}, token)
    assert "errors" not in body, body
    return body["data"]["createVideoUpload"]


async def _upload(
    client: httpx.AsyncClient,
    backends: Backends,
    grant: Any,
    files: dict[str, bytes],
    only: set[str] | None = None,
) -> None:
    for form in grant["files"]:
        if only is not None and form["path"] not in only:
            continue
        fields = {f["name"]: f["value"] for f in form["fields"]}
        content_type = fields["Content-Type"]
        posted = await post_form(
            client, backends, form["url"], fields, files[form["path"]], content_type
        )
        assert posted.status_code in (200, 201, 204), posted.text


async def _uploaded_video(
    client: httpx.AsyncClient, backends: Backends, files: dict[str, bytes]
) -> tuple[int, str]:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Typing posture, on video", exercises=0)
    grant = await _create(client, lesson.id, files)
    assert grant["__typename"] == "VideoUpload", grant
    assert sorted(form["path"] for form in grant["files"]) == sorted(files)
    await _upload(client, backends, grant, files)
    return course.id, str(grant["assetId"])


def _uris(playlist: bytes) -> list[str]:
    return [line for line in playlist.decode().splitlines() if line and not line.startswith("#")]


def _tags(playlist: bytes) -> list[str]:
    return [line for line in playlist.decode().splitlines() if line.startswith("#")]


async def _stored_keys(backends: Backends, asset_id: str, files: dict[str, bytes]) -> list[str]:
    keys = [f"uploads/{asset_id}.folder.json"]
    for path in files:
        keys += [f"uploads/{asset_id}/{path}", f"hls/{asset_id}/{path}"]
    return [key for key in keys if await backends.objects.stat(key) is not None]


async def test_a_video_folder_plays_through_the_links_of_its_playlists(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    files = video_folder()
    course_id, asset_id = await _uploaded_video(client, backends, files)
    completed = await complete_upload(client, asset_id)
    assert completed["__typename"] == "AssetPayload", completed
    asset = completed["asset"]
    assert (asset["kind"], asset["contentType"]) == ("VIDEO", PLAYLIST_TYPE)
    assert (asset["bytes"], asset["width"], asset["height"]) == (
        sum(map(len, files.values())),
        1280,
        720,
    )
    assert await _stored_keys(backends, asset_id, files) == [f"hls/{asset_id}/{p}" for p in files]

    lesson_id = (await backends.content.assets.get(int(asset_id))).lesson_id  # type: ignore[union-attr]
    learner = token_for(LEARNER)
    body = await graphql(client, ASSETS, {"id": str(lesson_id)}, learner)
    assert body["data"]["lesson"]["assets"]["__typename"] == "NotEntitled"
    await graphql(client, ENROLL, {"c": str(course_id)}, learner)
    body = await graphql(client, ASSETS, {"id": str(lesson_id)}, learner)
    (item,) = body["data"]["lesson"]["assets"]["items"]
    assert urlsplit(item["url"]).path == f"{PLAYLIST_PATH}hls/{asset_id}/index.m3u8"

    master = await fetch(client, backends, item["url"])
    assert master.status_code == 200, master.text
    assert master.headers["content-type"].startswith(PLAYLIST_TYPE)
    assert master.headers["access-control-allow-origin"] == "*"
    assert _tags(master.content) == _tags(files["index.m3u8"])
    played: dict[str, bytes] = {}
    for variant_url in _uris(master.content):
        variant = await fetch(client, backends, variant_url)
        assert variant.status_code == 200, variant.text
        variant_path = urlsplit(variant_url).path.removeprefix(f"{PLAYLIST_PATH}hls/{asset_id}/")
        assert _tags(variant.content) == _tags(files[variant_path])
        folder = variant_path.rsplit("/", 1)[0]
        for name, segment_url in zip(
            _uris(files[variant_path]), _uris(variant.content), strict=True
        ):
            segment = await fetch(client, backends, segment_url)
            assert segment.status_code == 200, segment_url
            played[f"{folder}/{name}"] = segment.content
    assert played == {path: data for path, data in files.items() if path.endswith(".ts")}


async def test_a_playlist_link_changed_in_any_part_is_refused(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    _, asset_id = await _uploaded_video(client, backends, video_folder())
    await complete_upload(client, asset_id)
    playlists = backends.playlists
    key = f"hls/{asset_id}/index.m3u8"
    good = await fetch(client, backends, _link(backends, key))
    assert good.status_code == 200

    parts = urlsplit(_link(backends, key))
    query = dict(parse_qsl(parts.query))
    forged = [
        {**query, "expires": str(int(query["expires"]) + 60)},
        {**query, "until": query["expires"]},
        {**query, "signature": query["signature"][:-2] + "AA"},
    ]
    for changed in forged:
        url = urlunsplit((*parts[:3], urlencode(changed), ""))
        refused = await fetch(client, backends, url)
        assert refused.status_code == 403, changed
    other_folder = parts.path.replace(f"hls/{asset_id}/", f"hls/{int(asset_id) + 1}/")
    refused = await fetch(client, backends, urlunsplit((*parts[:2], other_folder, parts.query, "")))
    assert refused.status_code == 403
    for key in (f"uploads/{asset_id}.folder.json", f"a/{asset_id}/x.m3u8", "hls/x/index.m3u8"):
        refused = await client.get(f"{PLAYLIST_PATH}{key}?{parts.query}")
        assert refused.status_code == 403, key
    expired = playlists.url(key, datetime.now(UTC) - timedelta(seconds=1), None)
    assert (await fetch(client, backends, expired)).status_code == 403


def _link(backends: Backends, key: str) -> str:
    return backends.playlists.url(key, datetime.now(UTC) + timedelta(minutes=5), None)


async def test_completing_before_every_file_arrived_names_what_is_missing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    files = video_folder()
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Typing posture, on video", exercises=0)
    grant = await _create(client, lesson.id, files)
    await _upload(client, backends, grant, files, only={"index.m3u8", "360p/index.m3u8"})
    asset_id = str(grant["assetId"])
    early = await complete_upload(client, asset_id)
    assert early["__typename"] == "InvalidInput", early
    assert "7 of 9 files are not uploaded yet (360p/seg-00000.ts" in early["message"]
    assert await backends.content.assets.get(int(asset_id)) is None

    await _upload(client, backends, grant, files, only=set(files) - {"index.m3u8"})
    done = await complete_upload(client, asset_id)
    assert done["__typename"] == "AssetPayload", done


async def test_a_folder_that_is_not_what_was_declared_is_deleted_and_writes_nothing(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    good = video_folder()
    broken = {
        "a playlist naming a file not in the folder": {
            **good,
            "720p/index.m3u8": media_playlist(["seg-00000.ts", "seg-00001.ts", "seg-00009.ts"]),
        },
        "a segment that is not MPEG-TS": {**good, "360p/seg-00001.ts": b"<html>" * 40},
        "a file no playlist names": {**good, "720p/seg-00099.ts": ts_segment("extra")},
        "a variant playlist naming a playlist": {
            **good,
            "720p/index.m3u8": media_playlist(["../360p/index.m3u8"]),
        },
    }
    messages = {}
    for case, files in broken.items():
        _, asset_id = await _uploaded_video(client, backends, files)
        before = await written(backends)
        outcome = await complete_upload(client, asset_id)
        assert outcome["__typename"] == "InvalidInput", (case, outcome)
        assert outcome["message"].endswith("the upload was deleted"), outcome
        messages[case] = outcome["message"]
        assert await written(backends) == before, case
        assert await _stored_keys(backends, asset_id, files) == [], case
        again = await complete_upload(client, asset_id)
        assert again["__typename"] == "NotFound", again
    assert (
        "seg-00009.ts, which is not in the folder"
        in messages["a playlist naming a file not in the folder"]
    )
    assert "not video/mp2t" in messages["a segment that is not MPEG-TS"]
    assert "no playlist names 720p/seg-00099.ts" in messages["a file no playlist names"]
    assert "only index.m3u8 may" in messages["a variant playlist naming a playlist"]


async def test_a_completion_stopped_half_way_goes_on_when_completed_again(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    files = video_folder()
    _, asset_id = await _uploaded_video(client, backends, files)
    objects = backends.objects
    half = list(files)[: len(files) // 2]
    for path in half:  # what an interrupted completion had promoted
        uploaded = await objects.stat(f"uploads/{asset_id}/{path}")
        assert uploaded is not None
        await objects.promote(uploaded, f"hls/{asset_id}/{path}")
    done = await complete_upload(client, asset_id)
    assert done["__typename"] == "AssetPayload", done
    assert await _stored_keys(backends, asset_id, files) == [f"hls/{asset_id}/{p}" for p in files]
    for path, data in files.items():
        assert await objects.read(f"hls/{asset_id}/{path}", len(data) + 1) == data


async def test_video_upload_forms_need_an_admin_a_lesson_and_a_folder(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    course = await add_course(backends)
    lesson = await add_lesson(backends, course, "Typing posture, on video", exercises=0)
    files = video_folder()
    before = await written(backends)
    assert (await _create(client, lesson.id, files, token_for(LEARNER)))[
        "__typename"
    ] == "Forbidden"
    assert (await _create(client, lesson.id + 1000, files))["__typename"] == "NotFound"
    bad_folders = {
        "no root playlist": {p: d for p, d in files.items() if p != "index.m3u8"},
        "an upper-case path": {**files, "720p/SEG.ts": b"x"},
        "a path two folders down": {**files, "a/b/c.ts": b"x"},
        "an unknown extension": {**files, "notes.txt": b"x"},
    }
    for case, folder in bad_folders.items():
        refused = await _create(client, lesson.id, folder)
        assert (refused["__typename"], refused["field"]) == ("InvalidInput", "files"), case
        assert refused["message"].startswith("files: "), refused
    assert await written(backends) == before
    if isinstance(backends.objects, LocalObjectStore):
        assert not (backends.objects.path_of("uploads")).exists()


async def test_playlists_are_compressed_when_asked(
    client: httpx.AsyncClient, backends: Backends
) -> None:
    files = {**video_folder(segments_per_variant=40)}
    _, asset_id = await _uploaded_video(client, backends, files)
    await complete_upload(client, asset_id)
    url = _link(backends, f"hls/{asset_id}/720p/index.m3u8")
    plain = await fetch(client, backends, url, {"accept-encoding": "identity"})
    packed = await fetch(client, backends, url, {"accept-encoding": "br"})
    assert packed.headers["content-encoding"] == "br"
    # httpx decodes brotli; S3's presigned links carry their signing second, so compare paths
    assert _tags(packed.content) == _tags(plain.content)
    assert [urlsplit(u).path for u in _uris(packed.content)] == [
        urlsplit(u).path for u in _uris(plain.content)
    ]
    assert packed.num_bytes_downloaded < len(plain.content) / 2
    assert len(_uris(plain.content)) == 40
    assert f"#EXTINF:{SEGMENT_SECONDS:.3f}," in plain.text
