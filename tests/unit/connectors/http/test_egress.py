"""EgressPolicy decisions without the network (the SSRF matrix in tests/security covers the client)."""

from __future__ import annotations

import ipaddress

import pytest

from connectors.errors import EgressDenied
from connectors.http.egress import EgressPolicy, blocked_reason, parse_allow_entry, parse_ip_literal


def fixed(table):
    return lambda host, port: table[host]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("example.com", None),
        ("0xdead.example.com", None),
    ],
)
def test_parse_ip_literal_normalises_inet_aton_forms(text, expected):
    result = parse_ip_literal(text)
    assert (str(result) if result else None) == expected


def test_unparseable_numeric_host_is_refused():
    with pytest.raises(EgressDenied):
        parse_ip_literal("999.999.999.999.1")


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "64:ff9b::808:808"])
def test_public_addresses_pass(address):
    assert blocked_reason(ipaddress.ip_address(address)) is None


def test_public_name_is_pinned_to_its_address():
    policy = EgressPolicy(resolver=fixed({"api.example.com": ["93.184.216.34", "93.184.216.35"]}))
    target = policy.check_url("https://api.example.com/v1")
    assert (target.scheme, target.host, target.port, target.address) == (
        "https",
        "api.example.com",
        443,
        "93.184.216.34",
    )


def test_allow_networks_opens_only_that_network():
    policy = EgressPolicy(
        allow_networks=["10.20.0.0/16"], resolver=fixed({"erp.lan": ["10.20.1.5"], "db.lan": ["10.30.1.5"]})
    )
    assert policy.check_url("http://erp.lan/").address == "10.20.1.5"
    with pytest.raises(EgressDenied):
        policy.check_url("http://db.lan/")


def test_allow_hosts_trusts_the_name_and_wildcards():
    policy = EgressPolicy(
        allow_hosts=["*.corp.example", "erp.lan"],
        resolver=fixed(
            {"a.corp.example": ["10.0.0.1"], "erp.lan": ["192.168.1.2"], "corp.example": ["10.0.0.2"]}
        ),
    )
    assert policy.check_url("http://a.corp.example/").address == "10.0.0.1"
    assert policy.check_url("http://ERP.lan./").address == "192.168.1.2"
    with pytest.raises(EgressDenied):
        policy.check_url("http://corp.example/")  # the wildcard covers sub-domains only


def test_allow_private_still_refuses_metadata():
    policy = EgressPolicy(allow_private=True, resolver=fixed({"lan": ["192.168.0.10"]}))
    assert policy.check_url("http://lan/").address == "192.168.0.10"
    with pytest.raises(EgressDenied):
        policy.check_url("http://169.254.169.254/")
    assert EgressPolicy(allow_networks=["169.254.169.254/32"]).check_url("http://169.254.169.254/")


def test_userinfo_and_bad_schemes_refused():
    policy = EgressPolicy(resolver=fixed({"example.com": ["93.184.216.34"]}))
    for url in (
        "http://user:pw@example.com/",
        "javascript:alert(1)",
        "http:///nohost",
        "http://example.com:99999/",
    ):
        with pytest.raises(EgressDenied):
            policy.check_url(url)


@pytest.mark.parametrize(
    ("text", "host", "network", "port"),
    [
        ("api.example.com", "api.example.com", None, None),
        ("*.example.com", "*.example.com", None, None),
        ("127.0.0.1", "127.0.0.1", None, None),  # an entry written before ports existed: every port
        ("localhost:8100", "localhost", None, 8100),
        ("127.0.0.1:8100", "127.0.0.1", None, 8100),
        ("[::1]:8100", "::1", None, 8100),
        ("::1", "::1", None, None),
        ("10.0.0.0/8", None, "10.0.0.0/8", None),
        ("10.0.0.0/8:443", None, "10.0.0.0/8", 443),
        ("fd00::/8", None, "fd00::/8", None),
        ("[fd00::/8]:443", None, "fd00::/8", 443),
        (" API.Example.com. ", "api.example.com", None, None),
    ],
)
def test_allow_list_entries_parse_with_and_without_ports(text, host, network, port):
    entry = parse_allow_entry(text)
    assert entry.host == host
    assert (str(entry.network) if entry.network else None) == network
    assert entry.port == port


@pytest.mark.parametrize("text", ["", "host:0", "host:65536", "host:http", "10.0.0.0/33", "a b", "x/y:1"])
def test_bad_allow_list_entries_name_themselves(text):
    with pytest.raises(ValueError):
        parse_allow_entry(text)


def test_ported_entries_open_one_port_and_bare_entries_every_port():
    loopback = fixed({"sandbox.local": ["127.0.0.1"]})
    ported = EgressPolicy.from_entries(["127.0.0.1:8100", "sandbox.local:8200"], resolver=loopback)
    assert ported.check_url("http://127.0.0.1:8100/x").port == 8100
    assert ported.check_url("http://sandbox.local:8200/").address == "127.0.0.1"
    for url in (
        "http://127.0.0.1:6379/",
        "http://127.0.0.1:5432/",
        "http://127.0.0.1/",
        "http://sandbox.local:8100/",
    ):
        with pytest.raises(EgressDenied, match="port"):
            ported.check_url(url)
    bare = EgressPolicy.from_entries(["127.0.0.1"])  # backwards compatible: every port
    assert bare.check_url("http://127.0.0.1:6379/").port == 6379
    networks = EgressPolicy.from_entries(["10.0.0.0/8:443", "192.168.0.0/16"])
    assert networks.check_url("https://10.1.2.3/").address == "10.1.2.3"
    assert networks.check_url("http://192.168.1.1:8080/").port == 8080
    with pytest.raises(EgressDenied):
        networks.check_url("http://10.1.2.3:80/")
    assert EgressPolicy(allow_networks=["127.0.0.1/32:8100"]).check_url("http://127.0.0.1:8100/").port == 8100
