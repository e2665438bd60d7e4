"""An identity provider's public keys, read from a PEM file or a JWKS file when the gateway is
built: RSA keys verify RS256, EC P-256 keys verify ES256, and nothing else is accepted.

A file that cannot be read as such raises ConfigurationError naming the file, never its content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from jwt.exceptions import PyJWTError

from settings import ConfigurationError

PUBLIC_KEY_ALGORITHMS = frozenset({"RS256", "ES256"})
VerifyingKey = RSAPublicKey | EllipticCurvePublicKey


@dataclass(frozen=True, slots=True)
class PublicKey:
    """One verification key and the one algorithm it verifies."""

    algorithm: str
    key: VerifyingKey
    kid: str | None = None


def _public_key(key: object, source: str, kid: str | None = None) -> PublicKey:
    if isinstance(key, RSAPublicKey):
        return PublicKey("RS256", key, kid)
    if isinstance(key, EllipticCurvePublicKey) and isinstance(key.curve, SECP256R1):
        return PublicKey("ES256", key, kid)
    raise ConfigurationError(
        f"{source} is not an RSA or EC P-256 public key (RS256 and ES256 are accepted)"
    )


def _read(path: Path, variable: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigurationError(f"{variable} {path} cannot be read: {error.strerror}") from error


def load_public_key_file(path: Path) -> PublicKey:
    """COURSEGATE_JWT_PUBLIC_KEY_FILE: one PEM public key (`-----BEGIN PUBLIC KEY-----`)."""
    source = f"COURSEGATE_JWT_PUBLIC_KEY_FILE {path}"
    data = _read(path, "COURSEGATE_JWT_PUBLIC_KEY_FILE")
    try:
        key = load_pem_public_key(data)
    except (ValueError, TypeError) as error:
        raise ConfigurationError(f"{source} does not hold a PEM public key") from error
    return _public_key(key, source)


def load_jwks_file(path: Path) -> tuple[PublicKey, ...]:
    """COURSEGATE_JWT_JWKS_FILE: `{"keys": [...]}`; keys marked `"use": "enc"` are skipped."""
    source = f"COURSEGATE_JWT_JWKS_FILE {path}"
    try:
        document = json.loads(_read(path, "COURSEGATE_JWT_JWKS_FILE"))
    except ValueError as error:
        raise ConfigurationError(f"{source} is not JSON") from error
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ConfigurationError(f"{source} has no `keys` list")
    keys = tuple(
        _jwk(entry, f"{source} key {index}")
        for index, entry in enumerate(entries)
        if not (isinstance(entry, dict) and entry.get("use") == "enc")
    )
    if not keys:
        raise ConfigurationError(f"{source} has no signing key")
    kids = [key.kid for key in keys if key.kid is not None]
    if len(kids) != len(set(kids)):
        raise ConfigurationError(f"{source} has two keys with the same kid")
    return keys


def _jwk(entry: Any, source: str) -> PublicKey:
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{source} is not a JSON object")
    kid = entry.get("kid")
    if kid is not None and not isinstance(kid, str):
        raise ConfigurationError(f"{source} has a kid that is not a string")
    if "d" in entry:
        raise ConfigurationError(f"{source} is a private key: publish only the public part")
    kty = entry.get("kty")
    if kty not in ("RSA", "EC"):
        raise ConfigurationError(f"{source} has kty {kty!r}; RSA and EC keys are accepted")
    try:
        key = RSAAlgorithm.from_jwk(entry) if kty == "RSA" else ECAlgorithm.from_jwk(entry)
    except (PyJWTError, ValueError, TypeError, KeyError) as error:
        raise ConfigurationError(f"{source} is not a valid {kty} key") from error
    public = _public_key(key, source, kid)
    # A key that names its algorithm must name the one its type verifies here.
    if entry.get("alg", public.algorithm) != public.algorithm:
        raise ConfigurationError(
            f"{source} has alg {entry['alg']!r}; this key verifies {public.algorithm}"
        )
    return public
