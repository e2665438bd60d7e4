"""A video lesson's HLS folder: uploaded file by file, checked and promoted as a whole.

`create_folder_upload` writes a manifest of the declared files at `uploads/<id>.folder.json`
(a key no upload form can write) and gives one form per file under `uploads/<id>/`, each
pinning its key, type and exact size. `complete_folder` then checks that every file arrived as
declared, that the playlists make one self-contained folder (each URI names a file of it, each
file is named by a playlist, only the root playlist names playlists) and that each file starts
the way its type does, promotes exactly the checked version of each file to `hls/<id>/`, and
only then writes the asset row. A folder that fails a check is deleted and leaves no row; one
whose completion was interrupted is found half promoted, and completing again goes on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeVar

import orjson

from datasources.objects.hls_playlists import folder_of
from datasources.objects.store import ObjectMissing, ObjectStore, StoredObject
from domain.content.hls import (
    HEAD_BYTES,
    MAX_PLAYLIST_BYTES,
    PLAYLIST_NAME,
    PLAYLIST_TYPE,
    FolderFile,
    Playlist,
    check_file_head,
    folder_files,
    parse_playlist,
)
from domain.content.media import MediaRejected
from records.content import Asset, AssetKind
from resolvers.context import RequestContext
from resolvers.errors import Problem, invalid

_PARALLEL: Final = 16  # storage requests in flight for one folder
_LISTED: Final = 5  # missing files named in a message
_MANIFEST_BYTES: Final = 4 << 20  # 5,000 files of 200-character paths fit
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FileUploadGrant:
    path: str
    url: str
    fields: dict[str, str]


@dataclass(frozen=True, slots=True)
class FolderUploadGrant:
    asset_id: int
    files: tuple[FileUploadGrant, ...]
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class _Manifest:
    course_id: int
    lesson_id: int
    files: tuple[FolderFile, ...]


async def create_folder_upload(
    ctx: RequestContext,
    course_id: int,
    lesson_id: int,
    declared: Sequence[tuple[str, int]],
    expires_at: datetime,
) -> FolderUploadGrant | Problem:
    files = folder_files(declared)
    if isinstance(files, str):
        return invalid("files", files)
    asset_id = ctx.backends.ids.next_id()
    objects = ctx.backends.objects
    manifest = {
        "course": course_id,
        "lesson": lesson_id,
        "files": [[file.path, file.content_type, file.bytes] for file in files],
    }
    await objects.put(_manifest_key(asset_id), orjson.dumps(manifest), "application/json")
    grants = []
    for file in files:
        target = await objects.upload_target(
            _upload_key(asset_id, file),
            file.content_type,
            file.bytes,
            {"folder": str(asset_id)},
            expires_at,
        )
        grants.append(FileUploadGrant(file.path, target.url, target.fields))
    return FolderUploadGrant(asset_id, tuple(grants), expires_at)


async def complete_folder(ctx: RequestContext, asset_id: int) -> Asset | Problem | None:
    """The stored asset; None when no folder upload was started under this id."""
    objects = ctx.backends.objects
    manifest = await _manifest(objects, asset_id)
    if manifest is None:
        return None
    files = manifest.files
    located = await _bounded(_locate(objects, asset_id, file) for file in files)
    missing = [file.path for file, found in zip(files, located, strict=True) if found is None]
    if missing:
        listed = ", ".join(missing[:_LISTED]) + (", ..." if len(missing) > _LISTED else "")
        return invalid(
            "assetId",
            f"assetId: {len(missing)} of {len(files)} files are not uploaded yet ({listed});"
            " upload them before their forms expire, then complete again",
        )
    stored = [found for found in located if found is not None]
    try:
        root = await _checked_folder(objects, files, stored)
    except MediaRejected as rejected:
        await _discard(objects, asset_id, files)
        return invalid("assetId", f"assetId: {rejected}; the upload was deleted")
    try:
        await _bounded(
            _promote(objects, asset_id, file, found)
            for file, found in zip(files, stored, strict=True)
        )
    except ObjectMissing:
        return invalid("assetId", "assetId: a file changed while it was checked; complete again")
    asset = await ctx.backends.content.record_asset(
        Asset(
            id=asset_id,
            course_id=manifest.course_id,
            lesson_id=manifest.lesson_id,
            kind=AssetKind.VIDEO,
            content_type=PLAYLIST_TYPE,
            bytes=sum(file.bytes for file in files),
            object_key=f"{folder_of(asset_id)}{PLAYLIST_NAME}",
            width=root.width,
            height=root.height,
            created_at=ctx.now,
        )
    )
    await objects.delete(_manifest_key(asset_id))
    return asset


async def _checked_folder(
    objects: ObjectStore, files: Sequence[FolderFile], stored: Sequence[StoredObject]
) -> Playlist:
    """The root playlist. Raises MediaRejected for a folder that is not what was declared, or
    not one a player could play through."""
    for file, found in zip(files, stored, strict=True):
        if found.size != file.bytes or found.content_type != file.content_type:
            raise MediaRejected(f"{file.path} is not {file.bytes} bytes of {file.content_type}")
    heads = await _bounded(
        objects.read(
            found.key, MAX_PLAYLIST_BYTES if file.content_type == PLAYLIST_TYPE else HEAD_BYTES
        )
        for file, found in zip(files, stored, strict=True)
    )
    playlists: dict[str, Playlist] = {}
    for file, head in zip(files, heads, strict=True):
        try:
            check_file_head(file.content_type, head)
        except MediaRejected as rejected:
            raise MediaRejected(f"{file.path}: {rejected}") from None
        if file.content_type == PLAYLIST_TYPE:
            playlists[file.path] = parse_playlist(file.path, head)
    paths = {file.path for file in files}
    named: set[str] = set()
    for path, playlist in playlists.items():
        for reference in playlist.references:
            if reference not in paths:
                raise MediaRejected(f"{path} names {reference}, which is not in the folder")
            if path != PLAYLIST_NAME and reference in playlists:
                raise MediaRejected(f"{path} names a playlist; only {PLAYLIST_NAME} may")
        named.update(playlist.references)
    unnamed = sorted(paths - named - {PLAYLIST_NAME})
    if unnamed:
        raise MediaRejected(f"no playlist names {unnamed[0]}")
    if not paths - set(playlists):
        raise MediaRejected("the folder has playlists but no segments")
    return playlists[PLAYLIST_NAME]


async def _locate(objects: ObjectStore, asset_id: int, file: FolderFile) -> StoredObject | None:
    """Where the file is: uploaded, or promoted already by a completion that stopped half way."""
    uploaded = await objects.stat(_upload_key(asset_id, file))
    if uploaded is not None:
        return uploaded
    return await objects.stat(_final_key(asset_id, file))


async def _promote(
    objects: ObjectStore, asset_id: int, file: FolderFile, found: StoredObject
) -> None:
    final_key = _final_key(asset_id, file)
    if found.key != final_key:
        await objects.promote(found, final_key)


async def _discard(objects: ObjectStore, asset_id: int, files: Sequence[FolderFile]) -> None:
    keys = [
        key for file in files for key in (_upload_key(asset_id, file), _final_key(asset_id, file))
    ]
    await _bounded(objects.delete(key) for key in keys)
    await objects.delete(_manifest_key(asset_id))


async def _manifest(objects: ObjectStore, asset_id: int) -> _Manifest | None:
    try:
        raw = orjson.loads(await objects.read(_manifest_key(asset_id), _MANIFEST_BYTES))
    except ObjectMissing:
        return None
    return _Manifest(
        int(raw["course"]),
        int(raw["lesson"]),
        tuple(
            FolderFile(path, content_type, int(size)) for path, content_type, size in raw["files"]
        ),
    )


async def _bounded(awaitables: Iterable[Awaitable[T]]) -> list[T]:
    """Each awaited with at most _PARALLEL in flight; all finish before the first error is
    raised, so nothing keeps running after a failure is reported."""
    gate = asyncio.Semaphore(_PARALLEL)

    async def one(awaitable: Awaitable[T]) -> T:
        async with gate:
            return await awaitable

    results = await asyncio.gather(*(one(each) for each in awaitables), return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]  # no exceptions left


def _manifest_key(asset_id: int) -> str:
    return f"uploads/{asset_id}.folder.json"


def _upload_key(asset_id: int, file: FolderFile) -> str:
    return f"uploads/{asset_id}/{file.path}"


def _final_key(asset_id: int, file: FolderFile) -> str:
    return f"{folder_of(asset_id)}{file.path}"
