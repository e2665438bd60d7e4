"""CloudFront links, checked offline the way CloudFront checks them (`cloudfront_verify`): what
each link grants, for how long, and that changing any part of it, or signing with the wrong
kind of key, fails."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.signers import CloudFrontSigner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from datasources.objects.cloudfront import CloudFrontLinks
from tests.content.cloudfront_verify import (
    CloudFrontRefused,
    decode_b64,
    verify_url,
)

BASE = "https://d111111abcdef8.cloudfront.net"
KEY_PAIR_ID = "K2JCJMDEHXQW5F"
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
EXPIRES_AT = NOW + timedelta(minutes=10)
KEY = "a/7/3f2c9a.png"
HLS = "hls/42/"
SEGMENT = "hls/42/segment-00017.ts"


def _pem(
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    layout: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8,
    encryption: serialization.KeySerializationEncryption | None = None,
) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, layout, encryption or serialization.NoEncryption()
    )


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def public_key(private_key: rsa.RSAPrivateKey) -> rsa.RSAPublicKey:
    return private_key.public_key()


@pytest.fixture(scope="module")
def links(private_key: rsa.RSAPrivateKey) -> CloudFrontLinks:
    return CloudFrontLinks(BASE, KEY_PAIR_ID, _pem(private_key))


def _query(url: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def _with_query(url: str, path: str) -> str:
    """The same signing query on another object, as an HLS player asks for a segment."""
    return f"{BASE}/{path}?{urlsplit(url).query}"


def _other_char(text: str, index: int) -> str:
    replacement = "B" if text[index] == "A" else "A"
    return text[:index] + replacement + text[index + 1 :]


def test_a_canned_url_grants_exactly_its_object_until_it_expires(
    links: CloudFrontLinks, public_key: rsa.RSAPublicKey
) -> None:
    url = links.url(KEY, EXPIRES_AT)
    assert url.startswith(f"{BASE}/{KEY}?Expires=")
    assert set(_query(url)) == {"Expires", "Signature", "Key-Pair-Id"}
    assert _query(url)["Key-Pair-Id"] == KEY_PAIR_ID

    granted = verify_url(url, public_key, KEY_PAIR_ID, EXPIRES_AT - timedelta(seconds=1))
    assert granted == f"{BASE}/{KEY}"
    with pytest.raises(CloudFrontRefused, match="expired"):
        verify_url(url, public_key, KEY_PAIR_ID, EXPIRES_AT)
    with pytest.raises(CloudFrontRefused, match="expired"):
        verify_url(url, public_key, KEY_PAIR_ID, EXPIRES_AT + timedelta(days=1))
    with pytest.raises(CloudFrontRefused, match="key pair"):
        verify_url(url, public_key, "K0THERKEYPAIR", NOW)


def test_changing_any_part_of_a_canned_url_fails(
    links: CloudFrontLinks, public_key: rsa.RSAPublicKey
) -> None:
    url = links.url(KEY, EXPIRES_AT)
    query = _query(url)
    expires, signature = query["Expires"], query["Signature"]
    tampered = [
        url.replace(KEY, "a/7/3f2c9b.png"),
        url.replace(KEY, "a/8/3f2c9a.png"),
        _with_query(url, "a/7/3f2c9a.png.bak"),
        url.replace(f"Expires={expires}", f"Expires={int(expires) + 3600}"),
        url.replace(signature, _other_char(signature, len(signature) // 2)),
        url.replace(signature, _other_char(signature, 0)),
    ]
    for each in tampered:
        assert each != url
        with pytest.raises(CloudFrontRefused, match="signature does not match"):
            verify_url(each, public_key, KEY_PAIR_ID, NOW)
    plus = f"{signature[:5]}+{signature[6:]}"
    with pytest.raises(CloudFrontRefused, match="base64"):
        verify_url(url.replace(signature, plus), public_key, KEY_PAIR_ID, NOW)


def test_expires_is_whole_unix_seconds_never_after_the_asked_expiry(
    links: CloudFrontLinks,
) -> None:
    expires_at = EXPIRES_AT + timedelta(microseconds=999_999)
    expires = _query(links.url(KEY, expires_at))["Expires"]
    assert expires.isdigit()
    assert int(expires) == int(EXPIRES_AT.timestamp())
    # The same instant in another zone signs the same link.
    india = expires_at.astimezone(timezone(timedelta(hours=5, minutes=30)))
    assert links.url(KEY, india) == links.url(KEY, expires_at)
    assert links.prefix_urls(HLS, [SEGMENT], india) == links.prefix_urls(HLS, [SEGMENT], expires_at)


def test_one_prefix_grant_signs_every_file_of_the_folder_and_nothing_beside_it(
    links: CloudFrontLinks, public_key: rsa.RSAPublicKey
) -> None:
    keys = ["hls/42/index.m3u8", SEGMENT, "hls/42/720p/segment-00003.ts"]
    urls = links.prefix_urls(HLS, keys, EXPIRES_AT)
    assert [urlsplit(url).path for url in urls] == [f"/{key}" for key in keys]
    assert len({urlsplit(url).query for url in urls}) == 1  # one signature for the folder
    url = urls[0]
    assert set(_query(url)) == {"Policy", "Signature", "Key-Pair-Id"}
    for name in ("Policy", "Signature"):
        assert not set("+=/") & set(_query(url)[name]), name
    policy = decode_b64(_query(url)["Policy"])
    assert json.loads(policy) == {
        "Statement": [
            {
                "Resource": f"{BASE}/hls/42/*",
                "Condition": {"DateLessThan": {"AWS:EpochTime": int(EXPIRES_AT.timestamp())}},
            }
        ]
    }
    # Exactly botocore's own custom policy for that resource.
    assert policy.decode() == CloudFrontSigner(KEY_PAIR_ID, None).build_policy(
        f"{BASE}/hls/42/*", EXPIRES_AT
    )

    just_before = EXPIRES_AT - timedelta(seconds=1)
    for signed in urls:
        assert verify_url(signed, public_key, KEY_PAIR_ID, just_before) == f"{BASE}/hls/42/*"
    for path in ("hls/43/segment-00017.ts", "hls/420/segment-00017.ts", "hls/42", "a/42/x.png"):
        with pytest.raises(CloudFrontRefused, match="does not grant"):
            verify_url(_with_query(url, path), public_key, KEY_PAIR_ID, NOW)
    with pytest.raises(CloudFrontRefused, match="expired"):
        verify_url(urls[1], public_key, KEY_PAIR_ID, EXPIRES_AT)
    signature = _query(url)["Signature"]
    forged = url.replace(signature, _other_char(signature, len(signature) // 2))
    with pytest.raises(CloudFrontRefused, match="signature does not match"):
        verify_url(forged, public_key, KEY_PAIR_ID, NOW)


def test_widening_the_prefix_policy_fails_its_signature(
    links: CloudFrontLinks, public_key: rsa.RSAPublicKey
) -> None:
    (url,) = links.prefix_urls(HLS, [SEGMENT], EXPIRES_AT)
    policy = _query(url)["Policy"]
    (wider,) = links.prefix_urls("hls/", [SEGMENT], EXPIRES_AT)
    forged = url.replace(policy, _query(wider)["Policy"])
    with pytest.raises(CloudFrontRefused, match="signature does not match"):
        verify_url(_with_query(forged, "hls/43/segment-00017.ts"), public_key, KEY_PAIR_ID, NOW)
    (later,) = links.prefix_urls(HLS, [SEGMENT], EXPIRES_AT + timedelta(days=1))
    forged = url.replace(policy, _query(later)["Policy"])
    with pytest.raises(CloudFrontRefused, match="signature does not match"):
        verify_url(forged, public_key, KEY_PAIR_ID, NOW)


def test_a_trailing_slash_on_the_base_url_changes_nothing(private_key: rsa.RSAPrivateKey) -> None:
    with_slash = CloudFrontLinks(f"{BASE}/", KEY_PAIR_ID, _pem(private_key))
    without = CloudFrontLinks(BASE, KEY_PAIR_ID, _pem(private_key))
    assert with_slash.url(KEY, EXPIRES_AT) == without.url(KEY, EXPIRES_AT)
    assert with_slash.prefix_urls(HLS, [SEGMENT], EXPIRES_AT) == without.prefix_urls(
        HLS, [SEGMENT], EXPIRES_AT
    )


def test_a_traditional_rsa_pem_is_accepted(
    private_key: rsa.RSAPrivateKey, public_key: rsa.RSAPublicKey
) -> None:
    pem = _pem(private_key, layout=serialization.PrivateFormat.TraditionalOpenSSL)
    assert pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    url = CloudFrontLinks(BASE, KEY_PAIR_ID, pem).url(KEY, EXPIRES_AT)
    verify_url(url, public_key, KEY_PAIR_ID, NOW)


def test_keys_and_prefixes_the_gateway_would_not_make_are_refused(links: CloudFrontLinks) -> None:
    for key in ("../jwt-secret", "/a/7/x.png", "a//x.png", "A/7/X.png", "a/7/x.png?x=1", ""):
        with pytest.raises(ValueError, match="not an object key"):
            links.url(key, EXPIRES_AT)
    with pytest.raises(ValueError, match="ends with '/'"):
        links.prefix_urls("hls/42", [SEGMENT], EXPIRES_AT)
    for prefix in ("/", "hls//", "../hls/42/", "/hls/42/", "hls/*/"):
        with pytest.raises(ValueError, match="not an object key"):
            links.prefix_urls(prefix, [], EXPIRES_AT)
    for key in ("hls/43/segment-00017.ts", "hls/420/x.ts", "hls/42/../43/x.ts"):
        with pytest.raises(ValueError, match=r"not under|not an object key"):
            links.prefix_urls(HLS, [key], EXPIRES_AT)
    with pytest.raises(ValueError, match="time zone"):
        links.url(KEY, EXPIRES_AT.replace(tzinfo=None))
    with pytest.raises(ValueError, match="time zone"):
        links.prefix_urls(HLS, [SEGMENT], EXPIRES_AT.replace(tzinfo=None))


def test_a_non_rsa_or_unreadable_key_is_refused_without_echoing_it(
    private_key: rsa.RSAPrivateKey,
) -> None:
    ec_pem = _pem(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ValueError, match="not an RSA key"):
        CloudFrontLinks(BASE, KEY_PAIR_ID, ec_pem)

    garbage = (
        b"-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWJ1dC1ub3QtYS1rZXk=\n-----END PRIVATE KEY-----\n"
    )
    for pem in (garbage, b"c2VjcmV0LWJ1dC1ub3QtYS1rZXk=", b""):
        with pytest.raises(ValueError, match="not a readable PEM private key") as refused:
            CloudFrontLinks(BASE, KEY_PAIR_ID, pem)
        assert "c2VjcmV0" not in str(refused.value)
        assert refused.value.__suppress_context__

    encrypted = _pem(private_key, encryption=serialization.BestAvailableEncryption(b"passphrase"))
    with pytest.raises(ValueError, match="encrypted"):
        CloudFrontLinks(BASE, KEY_PAIR_ID, encrypted)

    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    with pytest.raises(ValueError, match="1024 bits, not 2048"):
        CloudFrontLinks(BASE, KEY_PAIR_ID, _pem(small))


def test_a_bad_base_url_or_key_pair_id_is_refused(private_key: rsa.RSAPrivateKey) -> None:
    pem = _pem(private_key)
    for base_url in ("d111111abcdef8.cloudfront.net", "ftp://cdn.example", f"{BASE}/?x=1"):
        with pytest.raises(ValueError, match="base URL"):
            CloudFrontLinks(base_url, KEY_PAIR_ID, pem)
    for key_pair_id in ("", "K2JC&Signature=x", "K2JC JMDE"):
        with pytest.raises(ValueError, match="key pair id"):
            CloudFrontLinks(BASE, key_pair_id, pem)
