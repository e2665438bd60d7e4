"""Uploads of lesson media and course covers.

An upload starts with a presigned form (`create_upload`): the client sends the file straight to
storage under `uploads/<asset id>`, with the lesson, course and kind pinned in the form. Then
`complete_upload` checks what arrived (the declared type and size, its leading bytes, and for
images a full decode), makes WebP renditions of images, promotes exactly the checked object to
its final key and only then writes the asset row. A file that fails a check is deleted and
leaves no row. A video may instead be an HLS folder: `create_video_upload` gives one form per
file, and `video_folders` checks and promotes the folder as a whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from datasources.objects.store import PUBLIC_PREFIX, ObjectMissing, StoredObject
from domain.content.media import (
    EXTENSIONS,
    SNIFF_BYTES,
    MediaRejected,
    check_leading_bytes,
    image_renditions,
    upload_problem,
)
from records.content import Asset, AssetKind, AssetVariant, PendingUpload
from resolvers.content import video_folders
from resolvers.content.assets import SignedAsset, public, signed
from resolvers.content.links import link_window
from resolvers.context import RequestContext
from resolvers.errors import Problem, invalid, not_found
from resolvers.ids import id_or_problem

UPLOAD_SECONDS = 15 * 60


@dataclass(frozen=True, slots=True)
class UploadGrant:
    asset_id: int
    url: str
    fields: dict[str, str]
    expires_at: datetime


async def create_upload(
    ctx: RequestContext,
    raw_lesson_id: str | None,
    raw_course_id: str | None,
    kind: AssetKind,
    content_type: str,
    size: int,
) -> UploadGrant | Problem:
    """A lesson's media (`raw_lesson_id`) or a course's cover image (`raw_course_id`)."""
    owner = await _admins_owner(ctx, raw_lesson_id, raw_course_id)
    if isinstance(owner, Problem):
        return owner
    course_id, lesson_id = owner
    if lesson_id is None and kind is not AssetKind.IMAGE:
        return invalid("kind", "kind: a cover is an IMAGE")
    reason = upload_problem(kind, content_type, size)
    if reason is not None:
        return invalid(reason.partition(":")[0], reason)
    pending = PendingUpload(
        ctx.backends.ids.next_id(), course_id, lesson_id, kind, content_type, size
    )
    expires_at = ctx.now + timedelta(seconds=UPLOAD_SECONDS)
    target = await ctx.backends.objects.upload_target(
        _upload_key(pending.asset_id), content_type, size, _pinned(pending), expires_at
    )
    return UploadGrant(pending.asset_id, target.url, target.fields, expires_at)


async def complete_upload(ctx: RequestContext, raw_asset_id: str) -> SignedAsset | Problem:
    """The stored asset, with links for the admin who completed it."""
    outcome = await _complete(ctx, raw_asset_id)
    if isinstance(outcome, Problem):
        return outcome
    if outcome.is_cover:
        return public(ctx, outcome)
    return await signed(ctx, outcome, await link_window(ctx, None))


async def _complete(ctx: RequestContext, raw_asset_id: str) -> Asset | Problem:
    problem = ctx.admin_problem()
    if problem is not None:
        return problem
    asset_id = id_or_problem(raw_asset_id, "assetId")
    if isinstance(asset_id, Problem):
        return asset_id
    done = await ctx.backends.content.assets.get(asset_id)
    if done is not None:
        return done  # completed before: completing again is a no-op
    objects = ctx.backends.objects
    upload = await objects.stat(_upload_key(asset_id))
    pending = None if upload is None else _pending_of(asset_id, upload)
    if upload is None or pending is None:
        folder = await video_folders.complete_folder(ctx, asset_id)
        if folder is not None:
            return folder
        return not_found("an upload for this asset (upload the file before its form expires)")
    try:
        asset = await _checked_asset(ctx, upload, pending)
    except MediaRejected as rejected:
        await objects.delete(upload.key)
        return invalid("assetId", f"assetId: {rejected}; the upload was deleted")
    except ObjectMissing:
        return invalid(
            "assetId", "assetId: the upload changed while it was checked; complete again"
        )
    return await ctx.backends.content.record_asset(asset)


async def create_video_upload(
    ctx: RequestContext, raw_lesson_id: str, files: Sequence[tuple[str, int]]
) -> video_folders.FolderUploadGrant | Problem:
    """One form per file of an HLS folder (its paths and exact sizes)."""
    owner = await _admins_owner(ctx, raw_lesson_id, None)
    if isinstance(owner, Problem):
        return owner
    course_id, lesson_id = owner
    assert lesson_id is not None
    expires_at = ctx.now + timedelta(seconds=UPLOAD_SECONDS)
    return await video_folders.create_folder_upload(ctx, course_id, lesson_id, files, expires_at)


async def _admins_owner(
    ctx: RequestContext, raw_lesson_id: str | None, raw_course_id: str | None
) -> tuple[int, int | None] | Problem:
    """(course id, lesson id) of what an upload is for, once the admin role is checked."""
    problem = ctx.admin_problem()
    if problem is not None:
        return problem
    if raw_lesson_id is not None:
        lesson_id = id_or_problem(raw_lesson_id, "lessonId")
        if isinstance(lesson_id, Problem):
            return lesson_id
        content = await ctx.loaders.lesson.load(lesson_id)
        return not_found("lesson") if content is None else (content.lesson.course_id, lesson_id)
    assert raw_course_id is not None
    course_id = id_or_problem(raw_course_id, "courseId")
    if isinstance(course_id, Problem):
        return course_id
    course = await ctx.loaders.course.load(course_id)
    return not_found("course") if course is None else (course_id, None)


async def _checked_asset(
    ctx: RequestContext, upload: StoredObject, pending: PendingUpload
) -> Asset:
    """Raises MediaRejected for a file that is not what it was declared to be."""
    objects = ctx.backends.objects
    if upload.size != pending.bytes or upload.content_type != pending.content_type:
        raise MediaRejected(f"the file is not {pending.bytes} bytes of {pending.content_type}")
    check_leading_bytes(pending.content_type, await objects.read(upload.key, SNIFF_BYTES))
    prefix = PUBLIC_PREFIX if pending.lesson_id is None else ""
    width = height = None
    variants: list[AssetVariant] = []
    if pending.kind is AssetKind.IMAGE:
        data = await objects.read(upload.key, upload.size)
        width, height, renditions = await asyncio.to_thread(
            image_renditions, pending.content_type, data
        )
        for rendition in renditions:
            key = f"{prefix}v/{rendition.content_key}.webp"
            await objects.put(key, rendition.data, "image/webp")
            variants.append(
                AssetVariant(
                    rendition.name,
                    "image/webp",
                    len(rendition.data),
                    key,
                    rendition.width,
                    rendition.height,
                )
            )
    extension = EXTENSIONS[pending.content_type]
    final = await objects.promote(upload, f"{prefix}a/{pending.asset_id}/{upload.etag}.{extension}")
    return Asset(
        id=pending.asset_id,
        course_id=pending.course_id,
        lesson_id=pending.lesson_id,
        kind=pending.kind,
        content_type=pending.content_type,
        bytes=final.size,
        object_key=final.key,
        width=width,
        height=height,
        created_at=ctx.now,
        variants=tuple(variants),
    )


def _upload_key(asset_id: int) -> str:
    return f"uploads/{asset_id}"


def _pinned(pending: PendingUpload) -> dict[str, str]:
    return {
        "course": str(pending.course_id),
        "lesson": "" if pending.lesson_id is None else str(pending.lesson_id),
        "kind": pending.kind.value,
        "type": pending.content_type,
        "bytes": str(pending.bytes),
    }


def _pending_of(asset_id: int, upload: StoredObject) -> PendingUpload | None:
    """What the upload form pinned; None for an object no form of ours made."""
    meta = upload.metadata
    try:
        lesson = meta.get("lesson", "")
        return PendingUpload(
            asset_id,
            int(meta["course"]),
            int(lesson) if lesson else None,
            AssetKind(meta["kind"]),
            meta["type"],
            int(meta["bytes"]),
        )
    except (KeyError, ValueError):
        return None
