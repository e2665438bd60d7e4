"""Signed links for course media served through Amazon CloudFront, so that reads are answered by
the CDN's edge caches instead of the bucket. CloudFront checks an RSA-SHA1 signature over a
policy (which URL, until when) against a public key registered with the distribution; the
gateway holds the private key and signs per request.

One object gets a canned-policy URL (`url`). A video lesson is an HLS folder (playlists and
many segments), so `prefix_urls` grants the whole prefix once, with a custom policy whose
resource ends in `*`, and puts that one signed query on the link of every file it is asked for:
one RSA signature per playlist the gateway serves, not one per segment. (CloudFront's other
prefix grant, signed cookies, only reaches it when the CDN is on a domain the site may set
cookies for; query grants work from any origin.)
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote, urlencode, urlsplit

from botocore.signers import CloudFrontSigner
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from datasources.objects.store import checked_key, keys_under

_KEY_PAIR_ID = re.compile(r"^[A-Za-z0-9]{1,128}$")
_KEY_BITS = 2048  # the only RSA size CloudFront accepts for a public key
_B64 = bytes.maketrans(b"+=/", b"-_~")  # CloudFront's URL-safe alphabet


class CloudFrontLinks:
    def __init__(self, base_url: str, key_pair_id: str, private_key_pem: bytes) -> None:
        self._base_url = _checked_base_url(base_url)
        if not _KEY_PAIR_ID.match(key_pair_id):
            raise ValueError(f"not a CloudFront key pair id: {key_pair_id!r}")
        self._key_pair_id = key_pair_id
        self._private_key = _rsa_key(private_key_pem)
        self._signer = CloudFrontSigner(key_pair_id, self._sign)

    def url(self, key: str, expires_at: datetime) -> str:
        """A canned-policy link to exactly this object, valid until `expires_at`."""
        _epoch(expires_at)  # refuses a naive datetime, which botocore would take for UTC
        signed: str = self._signer.generate_presigned_url(
            f"{self._base_url}/{quote(checked_key(key))}", date_less_than=expires_at
        )
        return signed

    def prefix_urls(self, prefix: str, keys: Sequence[str], expires_at: datetime) -> list[str]:
        """Links to `keys` (each under `prefix`, which ends in `/`), all carrying one signed
        query that grants everything under `prefix` until `expires_at`."""
        keys = keys_under(prefix, keys)
        policy = self._prefix_policy(prefix, expires_at).encode()
        grant = urlencode(
            {
                "Policy": _b64(policy),
                "Signature": _b64(self._sign(policy)),
                "Key-Pair-Id": self._key_pair_id,
            }
        )
        return [f"{self._base_url}/{quote(key)}?{grant}" for key in keys]

    def _prefix_policy(self, prefix: str, expires_at: datetime) -> str:
        checked_key(f"{prefix}index.m3u8")  # a prefix of keys the gateway could make
        # The slash before `*` keeps hls/42/ from granting hls/420/.
        return custom_policy(f"{self._base_url}/{quote(prefix)}*", expires_at)

    def _sign(self, message: bytes) -> bytes:
        return self._private_key.sign(message, padding.PKCS1v15(), hashes.SHA1())


def custom_policy(resource: str, expires_at: datetime) -> str:
    """CloudFront's policy statement, compact and in the documented order."""
    condition = {"DateLessThan": {"AWS:EpochTime": _epoch(expires_at)}}
    statement = {"Statement": [{"Resource": resource, "Condition": condition}]}
    return json.dumps(statement, separators=(",", ":"))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).translate(_B64).decode()


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("an expiry needs a time zone")
    return int(moment.timestamp())


def _checked_base_url(base_url: str) -> str:
    parts = urlsplit(base_url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"not a CloudFront base URL: {base_url!r}")
    return base_url.rstrip("/")


def _rsa_key(pem: bytes) -> rsa.RSAPrivateKey:
    # The messages never include the PEM, and `from None` keeps the parser's error (and its
    # context) out of logged tracebacks.
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except TypeError:
        raise ValueError("the CloudFront private key is encrypted; give it unencrypted") from None
    except (ValueError, UnsupportedAlgorithm):
        raise ValueError("the CloudFront private key is not a readable PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the CloudFront private key is not an RSA key (CloudFront signs RSA-SHA1)")
    if key.key_size != _KEY_BITS:
        raise ValueError(f"the CloudFront private key has {key.key_size} bits, not {_KEY_BITS}")
    return key
