"""Bearer tokens from an identity provider: RS256/ES256 verified with a PEM public key or a JWKS,
beside HS256 with the shared secret, each key with only its own algorithm; iss/aud when set.

Every key is generated here at test time; none is in the source."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

import cli
from datasources.backends import Backends
from gateway import create_app
from resolvers.auth import issue_token, token_verifier
from settings import ConfigurationError, Settings
from tests.conftest import JWT_SECRET, graphql, token_for

ME = "{ me { userId subscriptions(first: 1) { edges { node { id } } } } }"
PRODUCTION = {
    "COURSEGATE_MYSQL_CATALOG_URL": "mysql://root@127.0.0.1:3306/catalog",
    "COURSEGATE_MYSQL_SHARD_URLS": "mysql://root@127.0.0.1:3306/shard",
}
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _public_pem(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _pem_file(tmp_path: Path, key: PrivateKey, name: str = "idp.pem") -> Path:
    path = tmp_path / name
    path.write_bytes(_public_pem(key))
    return path


def _jwk(key: PrivateKey, kid: str | None) -> dict[str, Any]:
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        entry = RSAAlgorithm.to_jwk(public, as_dict=True)
    else:
        entry = ECAlgorithm.to_jwk(public, as_dict=True)
    return {**entry, "kid": kid} if kid is not None else dict(entry)


def _jwks_file(tmp_path: Path, *keys: dict[str, Any]) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": list(keys)}))
    return path


def _claims(user: int = 41, **extra: Any) -> dict[str, Any]:
    return {"sub": str(user), "exp": int(time.time()) + 3600, **extra}


def _signed(key: PrivateKey, algorithm: str, kid: str | None = None, **claims: Any) -> str:
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(_claims(**claims), key, algorithm=algorithm, headers=headers)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _hs256_signed_with(secret: bytes, claims: dict[str, Any]) -> str:
    """By hand: PyJWT itself refuses a PEM key as an HMAC secret when signing."""
    signing_input = (
        f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}"
        f".{_b64(json.dumps(claims).encode())}"
    )
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


@asynccontextmanager
async def _gateway(settings: Settings, backends: Backends) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings, backends))
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as http:
        yield http


async def _accepted(http: httpx.AsyncClient, token: str, user: int = 41) -> None:
    body = await graphql(http, ME, token=token)
    assert body["data"] == {"me": {"userId": str(user), "subscriptions": {"edges": []}}}, body


async def _refused(http: httpx.AsyncClient, cases: dict[str, tuple[str, str]]) -> None:
    """Each case: (token, a fragment of the message saying why it is refused)."""
    for case, (token, why) in cases.items():
        body = await graphql(http, ME, token=token, expect_status=401)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", case
        assert why in body["errors"][0]["message"], (case, body)
        assert body.get("data") is None, case


async def test_rs256_and_es256_tokens_from_the_configured_public_key_are_accepted(
    settings: Settings,
    backends: Backends,
    tmp_path: Path,
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    for key, algorithm in ((rsa_key, "RS256"), (ec_key, "ES256")):
        only_the_key = dataclasses.replace(
            settings, jwt_secret="", jwt_public_key_file=_pem_file(tmp_path, key)
        )
        async with _gateway(only_the_key, backends) as http:
            token = _signed(key, algorithm, kid="whatever-the-provider-names-it")
            await _accepted(http, token)
            await _accepted(http, token)  # the remembered token answers the same
            await _accepted(http, _signed(key, algorithm, user=42), user=42)


async def test_tokens_the_public_key_cannot_vouch_for_are_refused(
    settings: Settings,
    backends: Backends,
    tmp_path: Path,
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    pem = _pem_file(tmp_path, rsa_key)
    other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    only_the_key = dataclasses.replace(settings, jwt_secret="", jwt_public_key_file=pem)
    async with _gateway(only_the_key, backends) as http:
        await _refused(
            http,
            {
                "alg none": (jwt.encode(_claims(), "", algorithm="none"), "(alg)"),
                "HS256 keyed with the public PEM": (
                    _hs256_signed_with(pem.read_bytes(), _claims()),
                    "(alg)",
                ),
                "HS256 with no secret configured": (token_for(41), "(alg)"),
                "another RSA key": (_signed(other_rsa, "RS256"), "signature"),
                "RS512 with the right key": (_signed(rsa_key, "RS512"), "(alg)"),
                "PS256 with the right key": (_signed(rsa_key, "PS256"), "(alg)"),
                "ES256 where the key is RSA": (_signed(ec_key, "ES256"), "(alg)"),
                "expired": (_signed(rsa_key, "RS256", exp=int(time.time()) - 5), "expired"),
                "no exp": (jwt.encode({"sub": "41"}, rsa_key, algorithm="RS256"), "no exp"),
                "subject not a user id": (_signed(rsa_key, "RS256", sub="alice"), "subject"),
                "tampered": (_signed(rsa_key, "RS256")[:-4] + "AAAA", "signature"),
            },
        )
        await _accepted(http, _signed(rsa_key, "RS256"))


async def test_with_the_secret_and_a_public_key_each_verifies_only_its_own_algorithm(
    settings: Settings, backends: Backends, tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    pem = _pem_file(tmp_path, ec_key)
    both = dataclasses.replace(settings, jwt_public_key_file=pem)
    assert both.jwt_secret == JWT_SECRET
    async with _gateway(both, backends) as http:
        await _accepted(http, token_for(41))
        await _accepted(http, _signed(ec_key, "ES256"))
        await _refused(
            http,
            {
                "HS256 keyed with the public PEM": (
                    _hs256_signed_with(pem.read_bytes(), _claims()),
                    "signature",
                ),
                "HS512 with the secret": (
                    jwt.encode(_claims(), JWT_SECRET, algorithm="HS512"),
                    "(alg)",
                ),
                "ES384 header": (
                    _signed(ec.generate_private_key(ec.SECP384R1()), "ES384"),
                    "(alg)",
                ),
                "alg none": (jwt.encode(_claims(), "", algorithm="none"), "(alg)"),
            },
        )


async def test_issuer_and_audience_are_required_and_checked_when_configured(
    settings: Settings, backends: Backends, tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    issuer, audience = "https://id.example.test/", "coursegate"
    checked = dataclasses.replace(
        settings,
        jwt_public_key_file=_pem_file(tmp_path, rsa_key),
        jwt_issuer=issuer,
        jwt_audience=audience,
    )
    async with _gateway(checked, backends) as http:
        await _accepted(http, _signed(rsa_key, "RS256", iss=issuer, aud=audience))
        await _accepted(http, _signed(rsa_key, "RS256", iss=issuer, aud=["other", audience]))
        await _accepted(http, issue_token(JWT_SECRET, 41, issuer=issuer, audience=audience))
        await _refused(
            http,
            {
                "wrong issuer": (
                    _signed(rsa_key, "RS256", iss="https://evil.test/", aud=audience),
                    "issuer (iss)",
                ),
                "wrong audience": (
                    _signed(rsa_key, "RS256", iss=issuer, aud="another-service"),
                    "audience (aud)",
                ),
                "no issuer": (_signed(rsa_key, "RS256", aud=audience), "no iss"),
                "no audience": (_signed(rsa_key, "RS256", iss=issuer), "no aud"),
                # The rule holds for the shared secret too; `coursegate token` adds both claims.
                "HS256 without iss/aud": (token_for(41), "no iss"),
            },
        )


async def test_jwks_selects_the_key_by_kid_and_refuses_an_unknown_kid(
    settings: Settings,
    backends: Backends,
    tmp_path: Path,
    rsa_key: rsa.RSAPrivateKey,
    ec_key: ec.EllipticCurvePrivateKey,
) -> None:
    jwks = _jwks_file(tmp_path, _jwk(rsa_key, "rsa-2024"), _jwk(ec_key, "ec-2024"))
    keyset = dataclasses.replace(settings, jwt_secret="", jwt_jwks_file=jwks)
    async with _gateway(keyset, backends) as http:
        await _accepted(http, _signed(rsa_key, "RS256", kid="rsa-2024"))
        await _accepted(http, _signed(ec_key, "ES256", kid="ec-2024"))
        await _refused(
            http,
            {
                "unknown kid": (_signed(rsa_key, "RS256", kid="rsa-2023"), "(kid) is not known"),
                "no kid among several keys": (_signed(rsa_key, "RS256"), "names no key (kid)"),
                "kid of the other key": (_signed(rsa_key, "RS256", kid="ec-2024"), "(alg)"),
                "HS256 keyed with the JWKS": (
                    _hs256_signed_with(jwks.read_bytes(), _claims()),
                    "(alg)",
                ),
            },
        )


async def test_a_jwks_with_one_key_serves_tokens_without_a_kid(
    settings: Settings, backends: Backends, tmp_path: Path, ec_key: ec.EllipticCurvePrivateKey
) -> None:
    single = dataclasses.replace(
        settings, jwt_secret="", jwt_jwks_file=_jwks_file(tmp_path, _jwk(ec_key, "only"))
    )
    async with _gateway(single, backends) as http:
        await _accepted(http, _signed(ec_key, "ES256"))
        await _accepted(http, _signed(ec_key, "ES256", kid="only"))
        await _refused(
            http,
            {"unknown kid": (_signed(ec_key, "ES256", kid="rotated-away"), "(kid) is not known")},
        )


def test_production_needs_a_way_to_verify_tokens(tmp_path: Path) -> None:
    base = {"COURSEGATE_DATA_DIR": str(tmp_path), **PRODUCTION}
    with pytest.raises(ConfigurationError, match="needs COURSEGATE_JWT_SECRET") as refused:
        Settings.from_env(base)
    assert "COURSEGATE_JWT_PUBLIC_KEY_FILE" in str(refused.value)
    assert "COURSEGATE_JWT_JWKS_FILE" in str(refused.value)
    for variable in ("COURSEGATE_JWT_PUBLIC_KEY_FILE", "COURSEGATE_JWT_JWKS_FILE"):
        settings = Settings.from_env({**base, variable: str(tmp_path / "keys")})
        assert settings.jwt_secret == ""
    assert not (tmp_path / "jwt-secret").exists()


def test_settings_read_the_identity_provider_variables(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "COURSEGATE_DATA_DIR": str(tmp_path),
            "COURSEGATE_JWT_JWKS_FILE": str(tmp_path / "jwks.json"),
            "COURSEGATE_JWT_ISSUER": "https://id.example.test/",
            "COURSEGATE_JWT_AUDIENCE": "coursegate",
        }
    )
    assert settings.jwt_jwks_file == tmp_path / "jwks.json"
    assert settings.jwt_public_key_file is None
    assert (settings.jwt_issuer, settings.jwt_audience) == (
        "https://id.example.test/",
        "coursegate",
    )
    assert settings.jwt_secret  # the embedded default keeps its local secret for `token`
    unset = Settings.from_env({"COURSEGATE_DATA_DIR": str(tmp_path), "COURSEGATE_JWT_ISSUER": ""})
    assert (unset.jwt_issuer, unset.jwt_audience, unset.jwt_jwks_file) == (None, None, None)


def test_a_public_key_file_and_a_jwks_file_together_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not both"):
        Settings.from_env(
            {
                "COURSEGATE_DATA_DIR": str(tmp_path),
                "COURSEGATE_JWT_PUBLIC_KEY_FILE": str(tmp_path / "idp.pem"),
                "COURSEGATE_JWT_JWKS_FILE": str(tmp_path / "jwks.json"),
            }
        )
    both = Settings(
        data_dir=tmp_path,
        jwt_public_key_file=tmp_path / "idp.pem",
        jwt_jwks_file=tmp_path / "jwks.json",
    )
    with pytest.raises(ConfigurationError, match="not both"):
        create_app(both)


def _private_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("missing.pem", None),
        ("garbage.pem", lambda rsa_key: b"-----BEGIN PUBLIC KEY-----\nnot a key\n"),
        ("private.pem", _private_pem),
        (
            "p384.pem",
            lambda rsa_key: _public_pem(ec.generate_private_key(ec.SECP384R1())),
        ),
    ],
)
def test_a_malformed_public_key_file_stops_the_gateway_naming_the_file(
    tmp_path: Path,
    rsa_key: rsa.RSAPrivateKey,
    name: str,
    content: Callable[[rsa.RSAPrivateKey], bytes] | None,
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content(rsa_key))
    settings = Settings(data_dir=tmp_path, jwt_public_key_file=path)
    with pytest.raises(ConfigurationError, match="COURSEGATE_JWT_PUBLIC_KEY_FILE") as refused:
        create_app(settings)
    assert str(path) in str(refused.value)


def test_a_malformed_jwks_file_stops_the_gateway_naming_the_file(
    tmp_path: Path, rsa_key: rsa.RSAPrivateKey
) -> None:
    private_jwk = json.loads(RSAAlgorithm.to_jwk(rsa_key))
    hmac_jwk = {"kty": "oct", "k": _b64(b"a symmetric key has no place in a JWKS"), "kid": "h"}
    broken: dict[str, str] = {
        "not JSON": "{",
        "no keys": json.dumps({"issuer": "x"}),
        "empty keys": json.dumps({"keys": []}),
        "only an encryption key": json.dumps({"keys": [{**_jwk(rsa_key, "e"), "use": "enc"}]}),
        "symmetric key": json.dumps({"keys": [hmac_jwk]}),
        "private key": json.dumps({"keys": [private_jwk]}),
        "truncated modulus": json.dumps({"keys": [{"kty": "RSA", "e": "AQAB", "kid": "r"}]}),
        "alg not its type's": json.dumps({"keys": [{**_jwk(rsa_key, "r"), "alg": "ES256"}]}),
        "duplicate kid": json.dumps({"keys": [_jwk(rsa_key, "r"), _jwk(rsa_key, "r")]}),
    }
    for case, text in broken.items():
        path = tmp_path / "jwks.json"
        path.write_text(text)
        settings = Settings(data_dir=tmp_path, jwt_secret=JWT_SECRET, jwt_jwks_file=path)
        with pytest.raises(ConfigurationError, match="COURSEGATE_JWT_JWKS_FILE") as refused:
            token_verifier(settings)
        assert str(path) in str(refused.value), case


def test_token_refuses_when_no_secret_is_configured(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    rsa_key: rsa.RSAPrivateKey,
) -> None:
    _clear_environment(monkeypatch)
    for variable, value in {
        **PRODUCTION,
        "COURSEGATE_DATA_DIR": str(tmp_path),
        "COURSEGATE_JWT_PUBLIC_KEY_FILE": str(_pem_file(tmp_path, rsa_key)),
    }.items():
        monkeypatch.setenv(variable, value)
    assert cli.main(["token", "--user", "1"]) == 2
    printed = capsys.readouterr()
    assert printed.out == ""
    assert "COURSEGATE_JWT_SECRET" in printed.err and "identity provider" in printed.err


def test_token_carries_the_configured_issuer_and_audience(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _clear_environment(monkeypatch)
    monkeypatch.setenv("COURSEGATE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSEGATE_JWT_ISSUER", "https://id.example.test/")
    monkeypatch.setenv("COURSEGATE_JWT_AUDIENCE", "coursegate")
    assert cli.main(["token", "--user", "7"]) == 0
    token = capsys.readouterr().out.strip()
    settings = Settings.from_env()
    claims = jwt.decode(
        token,
        settings.jwt_secret,
        algorithms=["HS256"],
        issuer="https://id.example.test/",
        audience="coursegate",
    )
    assert claims["sub"] == "7"


def _clear_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in list(os.environ):
        if variable.startswith(("COURSEGATE_", "RAZORPAY_")):
            monkeypatch.delenv(variable)
