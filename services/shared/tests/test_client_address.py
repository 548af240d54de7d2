"""The caller's address: ``X-Forwarded-For`` believed only as far as trusted proxies wrote it."""

from __future__ import annotations

import re

import pytest

from careplane_shared.client_address import (
    client_address,
    forwarded_chain,
    limit_key,
    parse_address,
    parse_networks,
)

PROXIES = parse_networks(["10.0.0.0/8", "2001:db8::/32"])


def test_without_trusted_proxies_the_peer_is_the_caller_whatever_the_header_says() -> None:
    assert client_address("203.0.113.5", ["198.51.100.1"], ()) == "203.0.113.5"
    assert forwarded_chain("203.0.113.5", ["198.51.100.1, 10.0.0.1"], PROXIES) == ["203.0.113.5"]


def test_through_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_caller() -> None:
    # The caller forged the first entry; the proxy 10.0.0.2 saw 198.51.100.7 connect to it.
    header = ["192.0.2.66, 198.51.100.7, 10.0.0.2"]

    assert client_address("10.0.0.1", header, PROXIES) == "198.51.100.7"
    assert forwarded_chain("10.0.0.1", header, PROXIES) == [
        "198.51.100.7",
        "10.0.0.2",
        "10.0.0.1",
    ]


def test_several_headers_are_one_list_and_ports_and_brackets_are_dropped() -> None:
    assert client_address("10.0.0.1", ["198.51.100.7:4711", "10.0.0.9"], PROXIES) == (
        "198.51.100.7"
    )
    assert client_address("2001:db8::1", ['"[2001:db8:ffff::2]:443"'], PROXIES) == (
        "2001:db8:ffff::2"
    )
    assert client_address("::ffff:10.0.0.1", ["198.51.100.7"], PROXIES) == "198.51.100.7"


def test_a_chain_of_trusted_hops_only_ends_at_its_first_entry() -> None:
    assert client_address("10.0.0.1", ["10.0.0.3, 10.0.0.2"], PROXIES) == "10.0.0.3"
    assert client_address("10.0.0.1", [], PROXIES) == "10.0.0.1"


def test_what_no_proxy_would_write_ends_the_chain_at_the_last_trusted_hop() -> None:
    assert client_address("10.0.0.1", ["198.51.100.7, unknown"], PROXIES) == "10.0.0.1"
    assert client_address("10.0.0.1", ["198.51.100.7, 10.0.0.2, _hidden"], PROXIES) == "10.0.0.1"


def test_no_peer_and_a_peer_that_is_no_address() -> None:
    assert client_address(None, ["198.51.100.7"], PROXIES) is None
    assert forwarded_chain("testclient", ["198.51.100.7"], PROXIES) == ["testclient"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("192.0.2.1", "192.0.2.1"),
        (" 192.0.2.1:80 ", "192.0.2.1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:db8::1", "2001:db8::1"),
        ("unknown", None),
        ("", None),
        ("example.com:80", None),
    ],
)
def test_addresses_as_proxies_write_them(text: str, expected: str | None) -> None:
    parsed = parse_address(text)
    assert (str(parsed) if parsed is not None else None) == expected


def test_a_bad_network_is_named() -> None:
    with pytest.raises(ValueError, match=re.escape("'10.0.0.0/33' is not an IP address")):
        parse_networks(["10.0.0.0/8", "10.0.0.0/33"])


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("192.0.2.7", "192.0.2.7"),  # IPv4: the address itself (/32)
        ("192.0.2.7:4711", "192.0.2.7"),
        ("2001:db8:1:2:aaaa:bbbb:cccc:1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),  # same /64: one key
        ("[2001:db8:1:3::1]:443", "2001:db8:1:3::/64"),  # the next /64: another key
        ("::ffff:192.0.2.9", "192.0.2.9"),  # IPv4-mapped: its IPv4 address
        ("unknown", "unknown"),
    ],
)
def test_limits_key_ipv4_per_address_and_ipv6_per_64(address: str, key: str) -> None:
    assert limit_key(address) == key
