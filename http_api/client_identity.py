"""Whom a request's rate limits count: the signed-in user, else the client's address. The
address is the connection's peer, or, when the peer is a trusted proxy, the nearest address in
X-Forwarded-For that is not one (each proxy appends the address it saw, so the entries before
the first untrusted one from the right could have been written by anyone)."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Sequence

from resolvers.auth import Principal

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TrustedProxies:
    def __init__(self, networks: Sequence[str]) -> None:
        self._networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(network, strict=False) for network in networks
        )

    def _trusted(self, address: str) -> bool:
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(parsed in network for network in self._networks)

    def client_address(self, peer: str | None, forwarded_for: str | None) -> str:
        if peer is None:
            return "unknown"
        if not self._networks or forwarded_for is None or not self._trusted(peer):
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",")]
        for hop in reversed(hops):
            if not self._trusted(hop):
                return _valid_address(hop) or peer
        return _valid_address(hops[0]) or peer  # every hop a proxy of ours: the first one


def client_key(principal: Principal | None, address: str) -> str:
    if principal is not None:
        return f"user:{principal.user_id}"
    if ":" in address:  # IPv6: one subscriber holds a whole /64
        with contextlib.suppress(ValueError):
            return f"address:{ipaddress.ip_network(address + '/64', strict=False)}"
    return f"address:{address}"


def _valid_address(hop: str) -> str | None:
    try:
        return str(ipaddress.ip_address(hop))
    except ValueError:
        return None
