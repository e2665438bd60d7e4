"""Media types: a lesson's assets behind signed links, a course's public cover, upload forms."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from domain.content.media import VARIANT_WIDTHS
from records.content import AssetKind
from resolvers.content.assets import SignedAsset
from resolvers.content.uploads import UploadGrant
from resolvers.content.video_folders import FolderUploadGrant
from schema.common.cost import ASSUMED_ASSETS_PER_LESSON, Cost, ListSize
from schema.common.problems import NotEntitled

# The WebP widths below the original, and the original's own width when it is small.
_RENDITIONS = ListSize(assumed_size=len(VARIANT_WIDTHS) + 1)
# A presigned form's fields are strings signed in memory: they cost nothing to answer.
_FORM_FIELDS = [Cost(weight=0), ListSize(assumed_size=8)]

strawberry.enum(AssetKind, name="AssetKind")


@strawberry.type(name="AssetVariant", description="A WebP rendition of an image at one width")
class AssetVariantType:
    name: str
    content_type: str
    bytes: int
    width: int
    height: int
    url: str


@strawberry.type(name="Asset")
class AssetType:
    id: strawberry.ID
    kind: AssetKind
    content_type: str
    bytes: int
    width: int | None
    height: int | None
    url: str = strawberry.field(
        description="A signed link, valid until expiresAt; a video folder's is its playlist's"
        " (application/vnd.apple.mpegurl), whose segments stay playable for its running time"
    )
    expires_at: datetime | None = strawberry.field(description="null: a public, lasting URL")
    variants: list[AssetVariantType] = strawberry.field(directives=[_RENDITIONS])

    @classmethod
    def from_signed(cls, signed: SignedAsset) -> AssetType:
        asset = signed.asset
        return cls(
            id=strawberry.ID(str(asset.id)),
            kind=asset.kind,
            content_type=asset.content_type,
            bytes=asset.bytes,
            width=asset.width,
            height=asset.height,
            url=signed.url,
            expires_at=signed.expires_at,
            variants=[
                AssetVariantType(
                    name=s.variant.name,
                    content_type=s.variant.content_type,
                    bytes=s.variant.bytes,
                    width=s.variant.width,
                    height=s.variant.height,
                    url=s.url,
                )
                for s in signed.variants
            ],
        )


@strawberry.type
class AssetList:
    items: list[AssetType] = strawberry.field(
        directives=[ListSize(assumed_size=ASSUMED_ASSETS_PER_LESSON)]
    )


AssetsResult = Annotated[AssetList | NotEntitled, strawberry.union("AssetsResult")]


@strawberry.type(name="CoverImage", description="A course's public cover, as WebP renditions")
class CoverImageType:
    url: str = strawberry.field(description="The largest rendition; public and cacheable")
    width: int
    height: int
    variants: list[AssetVariantType] = strawberry.field(directives=[_RENDITIONS])

    @classmethod
    def from_signed(cls, signed: SignedAsset) -> CoverImageType:
        largest = max(signed.variants, key=lambda s: s.variant.width)
        return cls(
            url=largest.url,
            width=largest.variant.width,
            height=largest.variant.height,
            variants=AssetType.from_signed(signed).variants,
        )


@strawberry.type
class UploadField:
    name: str
    value: str


@strawberry.type(
    description="POST multipart/form-data to `url`: every field, then the file as `file`;"
    " then call completeAssetUpload(assetId)"
)
class AssetUpload:
    asset_id: strawberry.ID
    url: str
    fields: list[UploadField] = strawberry.field(directives=_FORM_FIELDS)
    expires_at: datetime

    @classmethod
    def from_grant(cls, grant: UploadGrant) -> AssetUpload:
        return cls(
            asset_id=strawberry.ID(str(grant.asset_id)),
            url=grant.url,
            fields=[UploadField(name=k, value=v) for k, v in grant.fields.items()],
            expires_at=grant.expires_at,
        )


@strawberry.type(description="POST each file's form to its `url`, as for AssetUpload")
class VideoFileUpload:
    path: str
    url: str
    fields: list[UploadField] = strawberry.field(directives=_FORM_FIELDS)


@strawberry.type(
    description="One form per file of the folder; when every file is uploaded, call"
    " completeAssetUpload(assetId)"
)
class VideoUpload:
    asset_id: strawberry.ID
    files: list[VideoFileUpload]
    expires_at: datetime

    @classmethod
    def from_grant(cls, grant: FolderUploadGrant) -> VideoUpload:
        return cls(
            asset_id=strawberry.ID(str(grant.asset_id)),
            files=[
                VideoFileUpload(
                    path=file.path,
                    url=file.url,
                    fields=[UploadField(name=k, value=v) for k, v in file.fields.items()],
                )
                for file in grant.files
            ],
            expires_at=grant.expires_at,
        )


@strawberry.type
class AssetPayload:
    asset: AssetType


def asset_payload(signed: SignedAsset) -> AssetPayload:
    return AssetPayload(asset=AssetType.from_signed(signed))
