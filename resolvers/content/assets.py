"""Lesson media and course covers: signed links for those entitled (a video folder's link is
its playlist's, which the gateway serves with signed links to its segments), plain URLs for
public covers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

from domain.content.hls import PLAYLIST_TYPE
from records.content import Asset, AssetVariant, Lesson
from resolvers.content.entitlement import may_open
from resolvers.content.links import LinkWindow, link_window
from resolvers.context import RequestContext
from resolvers.errors import NOT_ENTITLED, Problem


@dataclass(frozen=True, slots=True)
class SignedVariant:
    variant: AssetVariant
    url: str


@dataclass(frozen=True, slots=True)
class SignedAsset:
    asset: Asset
    url: str
    expires_at: datetime | None  # None: a public object, its URL never expires
    variants: tuple[SignedVariant, ...]


async def assets_of(ctx: RequestContext, lesson: Lesson) -> list[SignedAsset] | Problem:
    if not await may_open(ctx, lesson):
        return NOT_ENTITLED
    content = await ctx.loaders.lesson.load(lesson.id)
    if content is None or not content.assets:
        return []
    window = await link_window(ctx, lesson)
    return [await signed(ctx, asset, window) for asset in content.assets]


async def cover_of(ctx: RequestContext, course_id: int) -> SignedAsset | None:
    cover = (await ctx.backends.content.covers([course_id])).get(course_id)
    return None if cover is None else public(ctx, cover)


async def signed(ctx: RequestContext, asset: Asset, window: LinkWindow) -> SignedAsset:
    expires_at = window.expires_at
    if asset.content_type == PLAYLIST_TYPE:
        url = ctx.backends.playlists.url(asset.object_key, expires_at, window.access_until)
        return SignedAsset(asset, url, expires_at, ())
    objects = ctx.backends.objects
    urls = await asyncio.gather(
        objects.read_url(asset.object_key, expires_at),
        *(objects.read_url(v.object_key, expires_at) for v in asset.variants),
    )
    variants = tuple(SignedVariant(v, u) for v, u in zip(asset.variants, urls[1:], strict=True))
    return SignedAsset(asset, urls[0], expires_at, variants)


def public(ctx: RequestContext, asset: Asset) -> SignedAsset:
    objects = ctx.backends.objects
    variants = tuple(SignedVariant(v, objects.public_url(v.object_key)) for v in asset.variants)
    return SignedAsset(asset, objects.public_url(asset.object_key), None, variants)
