"""Razorpay's JSON entities (order, payment, refund) read into provider records.

Shared by the Razorpay adapter, the webhook reader and the sandbox, so all three agree on what
Razorpay's shapes mean. Anything malformed is a `ValueError` naming the field, never a KeyError.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from datasources.payments.provider import (
    ProviderOrder,
    ProviderOrderStatus,
    ProviderPayment,
    ProviderPaymentStatus,
    ProviderRefund,
)

JsonObject = Mapping[str, object]


def order_from_entity(entity: JsonObject) -> ProviderOrder:
    return ProviderOrder(
        id=_str(entity, "id"),
        amount_paise=_int(entity, "amount"),
        currency=_str(entity, "currency"),
        receipt=_optional_str(entity, "receipt"),
        status=ProviderOrderStatus(_str(entity, "status")),
        notes=_notes(entity),
    )


def payment_from_entity(entity: JsonObject) -> ProviderPayment:
    return ProviderPayment(
        id=_str(entity, "id"),
        order_id=_optional_str(entity, "order_id"),
        amount_paise=_int(entity, "amount"),
        currency=_str(entity, "currency"),
        status=ProviderPaymentStatus(_str(entity, "status")),
        created_at=_timestamp(entity, "created_at"),
        amount_refunded_paise=_int(entity, "amount_refunded") if "amount_refunded" in entity else 0,
        error_code=_optional_str(entity, "error_code"),
        error_description=_optional_str(entity, "error_description"),
    )


def refund_from_entity(entity: JsonObject) -> ProviderRefund:
    return ProviderRefund(
        id=_str(entity, "id"),
        payment_id=_str(entity, "payment_id"),
        amount_paise=_int(entity, "amount"),
        currency=_str(entity, "currency"),
        status=_str(entity, "status"),
        created_at=_timestamp(entity, "created_at"),
        notes=_notes(entity),
    )


def payments_from_collection(collection: JsonObject) -> list[ProviderPayment]:
    return [payment_from_entity(item) for item in _items(collection)]


def refunds_from_collection(collection: JsonObject) -> list[ProviderRefund]:
    return [refund_from_entity(item) for item in _items(collection)]


def _items(collection: JsonObject) -> list[JsonObject]:
    items = collection.get("items")
    if not isinstance(items, list):
        raise ValueError("collection.items is not a list")
    return [_object(item, "collection.items[]") for item in items]


def _object(value: object, name: str) -> JsonObject:
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} is not an object")
    return value


def _str(entity: JsonObject, key: str) -> str:
    value = entity.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} is not a non-empty string")
    return value


def _optional_str(entity: JsonObject, key: str) -> str | None:
    value = entity.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} is not a string")
    return value


def _int(entity: JsonObject, key: str) -> int:
    value = entity.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{key} is not an integer")
    return value


def _timestamp(entity: JsonObject, key: str) -> datetime:
    return datetime.fromtimestamp(_int(entity, key), tz=UTC)


def _notes(entity: JsonObject) -> dict[str, str]:
    notes = entity.get("notes")
    # Razorpay serialises empty notes as [] (a PHP empty array), non-empty ones as an object.
    if notes is None or notes == []:
        return {}
    return {str(key): str(value) for key, value in _object(notes, "notes").items()}
