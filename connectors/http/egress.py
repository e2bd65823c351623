"""The SSRF guard: decide whether a URL may be fetched, and pin the address it will be fetched from.

We resolve names ourselves and refuse if ANY resolved address is internal (loopback, private, CGNAT,
link-local/metadata, unspecified, multicast, reserved, ULA, IPv4 embedded in IPv6), so a name with one
public and one private record cannot be used to reach the private one. The caller connects to the
returned pinned address only, so a second DNS answer (rebinding) never matters.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from connectors.errors import EgressDenied

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")

# Explicit lists rather than ``ipaddress.is_private`` alone: its meaning changed between patch releases.
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, cloud metadata 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, broadcast
    )
)
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/128",
        "::1/128",
        "::ffff:0:0/96",  # IPv4-mapped: only reached here if the mapped v4 check was skipped
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments (Teredo, ORCHID, ...)
        "2001:db8::/32",
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
_NAT64_WKP = ipaddress.IPv6Network("64:ff9b::/96")
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")
# Cloud metadata endpoints stay refused even with allow_private=True (only allow_networks opens them).
_METADATA = (ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254"))

# Hosts made only of numeric parts are IPv4 in inet_aton's liberal syntax (decimal, octal, hex);
# one that inet_aton cannot parse (e.g. five parts) is refused rather than sent to DNS.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+))*\.?$", re.IGNORECASE)

Resolver = Callable[[str, int], Sequence[str]]


def _system_resolver(host: str, port: int) -> list[str]:
    # Looked up on the module each call so tests can monkeypatch socket.getaddrinfo.
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        addr = str(sockaddr[0])
        if addr not in seen:
            seen.append(addr)
    return seen


def parse_ip_literal(host: str) -> IPAddress | None:
    """Return the address a host string denotes if it is an IP literal in any accepted spelling.

    Besides the canonical forms this accepts what ``inet_aton`` accepts (``2130706433``, ``0177.0.0.1``,
    ``0x7f.1``), because some resolvers and HTTP stacks do; a numeric host we cannot parse is refused.
    """
    candidate = host.strip("[]")
    try:
        return ipaddress.ip_address(candidate)
    except ValueError:
        pass
    if _NUMERIC_HOST.match(candidate):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(candidate.rstrip(".")))
        except OSError as exc:
            raise EgressDenied(
                f"Host {host!r} looks numeric but is not a valid address.",
                hint="Use a host name or a dotted-quad IPv4 address.",
            ) from exc
    return None


def canonical(ip: IPAddress) -> IPAddress:
    """Reduce IPv4-mapped IPv6 to its IPv4 address, so both the check and the connection use v4."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def blocked_reason(ip: IPAddress) -> str | None:
    """Why this address is internal, or None if it is a public unicast address."""
    ip = canonical(ip)
    if isinstance(ip, ipaddress.IPv4Address):
        for net in _BLOCKED_V4:
            if ip in net:
                return f"{ip} is in the internal range {net}"
        return None
    if ip.scope_id:
        return f"{ip} is a scoped (link-local) address"
    bare = ipaddress.IPv6Address(ip.packed)
    embedded: ipaddress.IPv4Address | None = None
    if bare in _NAT64_WKP:
        embedded = ipaddress.IPv4Address(bare.packed[-4:])
    elif bare in _SIX_TO_FOUR:
        embedded = bare.sixtofour
    if embedded is not None:
        inner = blocked_reason(embedded)
        if inner:
            return f"{ip} embeds an internal IPv4 address ({inner})"
    for net in _BLOCKED_V6:
        if bare in net:
            return f"{ip} is in the internal range {net}"
    if not bare.is_global and bare not in _NAT64_WKP:
        return f"{ip} is not a global address"
    return None


@dataclass(frozen=True)
class Target:
    """A checked destination: connect to ``address`` while speaking HTTP/TLS to ``host``."""

    scheme: str
    host: str
    port: int
    address: str  # the pinned IP literal (no brackets)
    addresses: tuple[str, ...]  # every resolved address (all passed the check)


@dataclass(frozen=True)
class AllowEntry:
    """One allow-list entry: a host pattern or a network, on one port or (``port`` None) on every port."""

    host: str | None = None  # a host name, ``*.suffix`` or an IP literal
    network: IPNetwork | None = None
    port: int | None = None

    def matches_host(self, host: str, port: int | None) -> bool:
        if self.host is None or not self._port_ok(port):
            return False
        if self.host.startswith("*.") and host.endswith(self.host[1:]):
            return True
        if host == self.host:
            return True
        literal = _safe_literal(self.host)
        return literal is not None and literal == _safe_literal(host)

    def matches_address(self, ip: IPAddress, port: int | None) -> bool:
        if self.network is None or not self._port_ok(port):
            return False
        ip = canonical(ip)
        return ip.version == self.network.version and ip in self.network

    def _port_ok(self, port: int | None) -> bool:
        return self.port is None or self.port == port


_PORTED = re.compile(r"^\[(?P<bracketed>[^\]]+)\](?::(?P<bport>[0-9]+))?$")


def parse_allow_entry(text: str) -> AllowEntry:
    """Read one allow-list entry; ValueError (naming the entry) if it is not one.

    ``host``, ``*.example.com``, ``10.1.2.3`` and ``10.0.0.0/8`` allow every port (the entries written
    before ports existed keep their meaning); ``host:8443``, ``10.1.2.3:8100``, ``10.0.0.0/8:443``,
    ``[::1]:8100`` and ``[fd00::/8]:443`` allow that port only. A bare IPv6 address or network is read
    without a port (its colons are the address's).
    """
    raw = str(text).strip().lower().rstrip(".")
    if not raw:
        raise ValueError("empty allow-list entry")
    port: int | None = None
    body = raw
    bracketed = _PORTED.match(raw)
    if bracketed:
        body = bracketed.group("bracketed")
        port = _port(bracketed.group("bport"), text) if bracketed.group("bport") else None
    elif raw.count(":") == 1:
        body, _, port_text = raw.partition(":")
        port = _port(port_text, text)
    if "/" in body:
        try:
            return AllowEntry(network=ipaddress.ip_network(body, strict=False), port=port)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a network (CIDR such as 10.0.0.0/8[:port])") from exc
    if not body or any(c.isspace() or c in "/@?#" for c in body):
        raise ValueError(f"{text!r} is not a host name, address or network")
    return AllowEntry(host=body, port=port)


def _as_network(entry: AllowEntry) -> AllowEntry:
    """An ``allow_networks`` entry written as a single address means that address's /32 (or /128)."""
    if entry.network is not None:
        return entry
    literal = _safe_literal(entry.host or "")
    if literal is None:
        raise ValueError(f"{entry.host!r} is not a network (CIDR such as 10.0.0.0/8[:port])")
    return AllowEntry(network=ipaddress.ip_network(literal), port=entry.port)


def _port(value: str, text: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ValueError(f"{text!r}: the port must be a number from 1 to 65535")
    return int(value)


@dataclass(frozen=True)
class EgressPolicy:
    """Which destinations the safe client may reach.

    ``allow_hosts``: host names (or ``*.example.com`` suffix patterns, or IP literals) trusted whatever
    they resolve to. ``allow_networks``: CIDRs whose addresses are allowed even if internal. Either may
    carry a port (``host:8100``, ``10.0.0.0/8:443``; see :func:`parse_allow_entry`): without one every
    port is allowed. ``allow_private``: allow internal ranges in general (a self-hosted ERP on the LAN);
    the cloud metadata addresses stay refused unless listed in ``allow_networks``.
    """

    allow_hosts: Iterable[str] = ()
    allow_networks: Iterable[str] = ()
    allow_private: bool = False
    resolver: Resolver | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        # Parsed once; frozen dataclass so use object.__setattr__.
        hosts = tuple(parse_allow_entry(h) for h in self.allow_hosts)
        nets = tuple(_as_network(parse_allow_entry(n)) for n in self.allow_networks)
        object.__setattr__(self, "allow_hosts", tuple(e for e in hosts if e.host is not None))
        object.__setattr__(self, "allow_networks", (*nets, *(e for e in hosts if e.network is not None)))

    @classmethod
    def from_entries(cls, entries: Iterable[str], **kwargs: object) -> EgressPolicy:
        """A policy from allow-list text (platform and organisation entries): hosts and networks mixed."""
        cleaned = [str(e).strip() for e in entries if str(e).strip()]
        return cls(allow_hosts=cleaned, **kwargs)  # type: ignore[arg-type]

    def _host_allowed(self, host: str, port: int | None = None) -> bool:
        return any(entry.matches_host(host, port) for entry in self.allow_hosts)  # type: ignore[attr-defined]

    def _network_allowed(self, ip: IPAddress, port: int | None = None) -> bool:
        return any(entry.matches_address(ip, port) for entry in self.allow_networks)  # type: ignore[attr-defined]

    def check_address(self, ip: IPAddress, *, host_allowed: bool = False, port: int | None = None) -> None:
        """Raise EgressDenied unless this address may be contacted (on ``port``, when given)."""
        if host_allowed or self._network_allowed(ip, port):
            return
        reason = blocked_reason(ip)
        if reason is None:
            return
        if self.allow_private and canonical(ip) not in _METADATA:
            return
        raise EgressDenied(
            f"Refused to connect: {reason}" + (f" (port {port})." if port else "."),
            hint="Internal addresses are blocked. An organisation admin can allow-list the host or "
            "network (with its port, e.g. 10.1.2.3:8443) if this system really lives on a private network.",
        )

    def check_url(self, url: str) -> Target:
        """Validate scheme and host, resolve, check every address; return the pinned target."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise EgressDenied(f"Malformed URL: {exc}.", hint="Check the URL.") from exc
        scheme = parts.scheme.lower()
        if scheme not in ALLOWED_SCHEMES:
            raise EgressDenied(
                f"Scheme {scheme or '(none)'!r} is not allowed.", hint="Only http and https URLs work."
            )
        if parts.username is not None or parts.password is not None:
            # Credentials in the URL would bypass the per-host credential rules and leak into logs.
            raise EgressDenied(
                "URLs with user:password@ are refused.", hint="Put credentials on the connection."
            )
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise EgressDenied("URL has no host.", hint="Use an absolute http(s) URL.")
        port = port or (443 if scheme == "https" else 80)
        host_allowed = self._host_allowed(host, port)

        literal = parse_ip_literal(host)
        if literal is not None:
            addresses: list[IPAddress] = [literal]
        else:
            resolve = self.resolver or _system_resolver
            try:
                raw = resolve(host, port)
            except (OSError, UnicodeError) as exc:
                raise EgressDenied(
                    f"Could not resolve host {host!r}.", hint="Check the host name and DNS."
                ) from exc
            addresses = []
            for item in raw:
                try:
                    addresses.append(ipaddress.ip_address(item))
                except ValueError as exc:
                    raise EgressDenied(f"Resolver returned a non-address {item!r}.") from exc
            if not addresses:
                raise EgressDenied(f"Host {host!r} resolved to no address.", hint="Check DNS.")

        for ip in addresses:  # ANY internal address refuses the whole name
            self.check_address(ip, host_allowed=host_allowed, port=port)
        pinned = [str(canonical(ip)) for ip in addresses]
        return Target(scheme=scheme, host=host, port=port, address=pinned[0], addresses=tuple(pinned))


def _safe_literal(host: str) -> IPAddress | None:
    try:
        return parse_ip_literal(host)
    except EgressDenied:
        return None


DEFAULT_POLICY = EgressPolicy()
