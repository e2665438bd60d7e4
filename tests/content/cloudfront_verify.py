"""What CloudFront checks before it answers a signed request, for the tests (CloudFront itself is
out of reach): the key pair id, the RSA-SHA1 signature over the policy (rebuilt from the URL and
`Expires` for a canned policy, decoded from `Policy` for a custom one), that the
policy's resource is the requested URL (a custom policy's may hold `*` and `?` wildcards), and
the time window."""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_SIGNING_PARAMS = frozenset({"Expires", "Policy", "Signature", "Key-Pair-Id"})
_ALPHABET = re.compile(r"^[A-Za-z0-9~_-]+$")
_UNB64 = str.maketrans("-_~", "+=/")


class CloudFrontRefused(Exception):
    """CloudFront would answer 403; the message says why."""


def verify_url(url: str, public_key: rsa.RSAPublicKey, key_pair_id: str, now: datetime) -> str:
    """The resource the signed URL grants; raises CloudFrontRefused."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    signing: dict[str, str] = {}
    for name, value in query:
        if name in _SIGNING_PARAMS:
            if name in signing:
                raise CloudFrontRefused(f"{name} given twice")
            signing[name] = value
    others = [(name, value) for name, value in query if name not in _SIGNING_PARAMS]
    requested = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(others), ""))
    _check_key_pair_id(signing.get("Key-Pair-Id"), key_pair_id)
    signature = decode_b64(signing.get("Signature", ""))
    if ("Expires" in signing) == ("Policy" in signing):
        raise CloudFrontRefused("needs exactly one of Expires and Policy")
    if "Expires" in signing:
        expires = signing["Expires"]
        if not expires.isdigit():
            raise CloudFrontRefused("Expires is not unix seconds")
        policy = canned_policy(requested, int(expires)).encode()
        _check_signature(public_key, signature, policy)
        _check_window(int(expires), None, now)
        return requested
    policy = decode_b64(signing["Policy"])
    _check_signature(public_key, signature, policy)
    return _check_custom_policy(policy, requested, now)


def canned_policy(resource: str, expires: int) -> str:
    """The exact bytes CloudFront signs for a canned policy: compact, in this order."""
    return (
        f'{{"Statement":[{{"Resource":{json.dumps(resource)},'
        f'"Condition":{{"DateLessThan":{{"AWS:EpochTime":{expires}}}}}}}]}}'
    )


def wildcard_matches(resource: str, url: str) -> bool:
    """`*` is any run of characters (slashes included), `?` exactly one."""
    pattern = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in resource
    )
    return re.fullmatch(pattern, url, re.DOTALL) is not None


def decode_b64(text: str) -> bytes:
    """CloudFront's base64: `-` for `+`, `_` for `=`, `~` for `/`."""
    if not _ALPHABET.match(text):
        raise CloudFrontRefused("not CloudFront base64")
    try:
        return base64.b64decode(text.translate(_UNB64), validate=True)
    except binascii.Error as error:
        raise CloudFrontRefused("not CloudFront base64") from error


def _check_key_pair_id(given: str | None, expected: str) -> None:
    if given != expected:
        raise CloudFrontRefused("unknown key pair id")


def _check_signature(public_key: rsa.RSAPublicKey, signature: bytes, policy: bytes) -> None:
    try:
        public_key.verify(signature, policy, padding.PKCS1v15(), hashes.SHA1())
    except InvalidSignature as error:
        raise CloudFrontRefused("the signature does not match the policy") from error


def _check_custom_policy(policy: bytes, requested: str, now: datetime) -> str:
    try:
        document: Any = json.loads(policy)
        (statement,) = document["Statement"]
        resource = statement.get("Resource", "*")  # no Resource: every file of the key pair
        condition = dict(statement["Condition"])
        less_than = int(condition.pop("DateLessThan")["AWS:EpochTime"])
        after = condition.pop("DateGreaterThan", None)
        greater_than = None if after is None else int(after["AWS:EpochTime"])
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise CloudFrontRefused("malformed policy") from error
    if condition:
        raise CloudFrontRefused(f"conditions this check does not know: {sorted(condition)}")
    if not isinstance(resource, str) or not wildcard_matches(resource, requested):
        raise CloudFrontRefused(f"the policy does not grant {requested}")
    _check_window(less_than, greater_than, now)
    return resource


def _check_window(less_than: int, greater_than: int | None, now: datetime) -> None:
    if now.timestamp() >= less_than:
        raise CloudFrontRefused("expired")
    if greater_than is not None and now.timestamp() < greater_than:
        raise CloudFrontRefused("not valid yet")
