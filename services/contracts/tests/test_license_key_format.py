"""contracts.licensing.keys: the license key format of docs/api.md and its Ed25519 signature."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.licensing.keys import (
    InvalidSignature,
    KeyFormatError,
    LicensePayload,
    sign_key,
    verify_key,
)

# Fixed keys keep failures reproducible.
SIGNING_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
PUBLIC_KEY = SIGNING_KEY.public_key()
OTHER_KEY = Ed25519PrivateKey.from_private_bytes(bytes([0x42] * 32))

B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
API_FIELDS = {
    "license_id",
    "customer_id",
    "product_id",
    "major_version",
    "issued_at",
    "expires_at",
}
FAILS = (InvalidSignature, KeyFormatError)

PAYLOAD = LicensePayload(
    license_id=uuid.UUID("11111111-1111-4111-8111-111111111111"),
    customer_id=uuid.UUID("22222222-2222-4222-8222-222222222222"),
    product_id=uuid.UUID("33333333-3333-4333-8333-333333333333"),
    major_version=3,
    issued_at=datetime(2026, 11, 22, 9, 30, tzinfo=UTC),
    expires_at=datetime(2027, 9, 22, 23, 59, 59, tzinfo=UTC),
)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parts(key: str) -> tuple[str, str]:
    assert key.startswith("key/")
    payload_text, signature_text = key[len("key/") :].split(".")
    return payload_text, signature_text


def _signed(raw_payload: bytes, private_key: Ed25519PrivateKey = SIGNING_KEY) -> str:
    """A correctly signed key around any payload bytes (to probe payload validation)."""
    signed_part = "key/" + _b64(raw_payload)
    return f"{signed_part}.{_b64(private_key.sign(signed_part.encode()))}"


# --- round trip and format ----------------------------------------------------------------


def test_round_trip() -> None:
    assert verify_key(sign_key(PAYLOAD, SIGNING_KEY), PUBLIC_KEY) == PAYLOAD


def test_round_trip_without_expiry() -> None:
    perpetual = LicensePayload(
        license_id=uuid.uuid4(),
        customer_id=uuid.uuid4(),
        product_id=uuid.uuid4(),
        major_version=1,
        issued_at=datetime(2019, 1, 15, tzinfo=UTC),
        expires_at=None,
    )
    assert verify_key(sign_key(perpetual, SIGNING_KEY), PUBLIC_KEY) == perpetual


def test_the_key_has_the_api_shape() -> None:
    key = sign_key(PAYLOAD, SIGNING_KEY)
    assert key.startswith("key/")
    assert key.count(".") == 1
    assert "=" not in key
    payload_text, signature_text = _parts(key)
    assert set(payload_text) <= set(B64URL)
    assert set(signature_text) <= set(B64URL)
    assert len(_unb64(signature_text)) == 64  # an Ed25519 signature
    assert len(signature_text) == 86  # 64 bytes, base64url without padding


def test_the_payload_is_exactly_the_api_fields() -> None:
    payload_text, _ = _parts(sign_key(PAYLOAD, SIGNING_KEY))
    data = json.loads(_unb64(payload_text).decode("utf-8"))
    assert set(data) == API_FIELDS
    assert data == {
        "license_id": "11111111-1111-4111-8111-111111111111",
        "customer_id": "22222222-2222-4222-8222-222222222222",
        "product_id": "33333333-3333-4333-8333-333333333333",
        "major_version": 3,
        "issued_at": "2026-11-22T09:30:00+00:00",
        "expires_at": "2027-09-22T23:59:59+00:00",
    }


def test_no_expiry_is_null_not_missing() -> None:
    payload_text, _ = _parts(sign_key(_replace_expiry(PAYLOAD, None), SIGNING_KEY))
    data = json.loads(_unb64(payload_text))
    assert set(data) == API_FIELDS
    assert data["expires_at"] is None


def _replace_expiry(payload: LicensePayload, expires_at: datetime | None) -> LicensePayload:
    return LicensePayload(
        payload.license_id,
        payload.customer_id,
        payload.product_id,
        payload.major_version,
        payload.issued_at,
        expires_at,
    )


def test_the_signature_covers_the_prefix_and_the_payload_text() -> None:
    key = sign_key(PAYLOAD, SIGNING_KEY)
    payload_text, signature_text = _parts(key)
    PUBLIC_KEY.verify(_unb64(signature_text), f"key/{payload_text}".encode("ascii"))
    with pytest.raises(InvalidSignature):  # not over the payload text alone
        PUBLIC_KEY.verify(_unb64(signature_text), payload_text.encode("ascii"))


def test_signing_is_deterministic() -> None:
    assert sign_key(PAYLOAD, SIGNING_KEY) == sign_key(PAYLOAD, SIGNING_KEY)


def test_key_format_error_is_a_value_error() -> None:
    assert issubclass(KeyFormatError, ValueError)


OFFSETS = st.sampled_from([UTC, timezone(timedelta(hours=3)), timezone(timedelta(hours=-7))])
MOMENTS = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=OFFSETS
)
PAYLOADS = st.builds(
    LicensePayload,
    license_id=st.uuids(),
    customer_id=st.uuids(),
    product_id=st.uuids(),
    major_version=st.integers(min_value=0, max_value=10_000),
    issued_at=MOMENTS,
    expires_at=st.none() | MOMENTS,
)


@settings(max_examples=150, deadline=None)
@given(PAYLOADS)
def test_any_payload_round_trips(payload: LicensePayload) -> None:
    key = sign_key(payload, SIGNING_KEY)
    back = verify_key(key, PUBLIC_KEY)
    assert back == payload
    assert back.issued_at.utcoffset() == payload.issued_at.utcoffset()
    assert "=" not in key and key.count(".") == 1
    with pytest.raises(InvalidSignature):
        verify_key(key, OTHER_KEY.public_key())


# --- tampering and foreign keys -----------------------------------------------------------


def test_a_key_signed_by_another_key_fails() -> None:
    forged = sign_key(PAYLOAD, OTHER_KEY)
    with pytest.raises(InvalidSignature):
        verify_key(forged, PUBLIC_KEY)


def test_a_signature_moved_onto_another_payload_fails() -> None:
    _, signature_text = _parts(sign_key(PAYLOAD, SIGNING_KEY))
    other_payload, _ = _parts(sign_key(_replace_expiry(PAYLOAD, None), SIGNING_KEY))
    with pytest.raises(InvalidSignature):
        verify_key(f"key/{other_payload}.{signature_text}", PUBLIC_KEY)


def test_flipping_any_bit_of_the_payload_bytes_fails() -> None:
    key = sign_key(PAYLOAD, SIGNING_KEY)
    payload_text, signature_text = _parts(key)
    raw = _unb64(payload_text)
    for index in range(len(raw)):
        for bit in (0x01, 0x80):
            tampered = bytearray(raw)
            tampered[index] ^= bit
            with pytest.raises(FAILS):
                verify_key(f"key/{_b64(bytes(tampered))}.{signature_text}", PUBLIC_KEY)


def test_flipping_any_bit_of_the_signature_bytes_fails() -> None:
    payload_text, signature_text = _parts(sign_key(PAYLOAD, SIGNING_KEY))
    raw = _unb64(signature_text)
    for index in range(len(raw)):
        for bit in range(8):
            tampered = bytearray(raw)
            tampered[index] ^= 1 << bit
            with pytest.raises(FAILS):
                verify_key(f"key/{payload_text}.{_b64(bytes(tampered))}", PUBLIC_KEY)


def test_elevating_the_licensed_major_version_fails() -> None:
    payload_text, signature_text = _parts(sign_key(PAYLOAD, SIGNING_KEY))
    data = json.loads(_unb64(payload_text))
    data["major_version"] = 4
    forged_payload = _b64(json.dumps(data, separators=(",", ":"), sort_keys=True).encode())
    with pytest.raises(InvalidSignature):
        verify_key(f"key/{forged_payload}.{signature_text}", PUBLIC_KEY)


def test_truncated_or_extended_signature_fails() -> None:
    payload_text, signature_text = _parts(sign_key(PAYLOAD, SIGNING_KEY))
    raw = _unb64(signature_text)
    for variant in (raw[:-1], raw[:32], raw + b"\x00", raw + raw):
        with pytest.raises(FAILS):
            verify_key(f"key/{payload_text}.{_b64(variant)}", PUBLIC_KEY)


def test_changing_any_character_of_the_key_text_never_passes() -> None:
    """Any position of the key, other base64url characters: never a silent pass.

    A key is also compared and stored as text, so two different strings must not both be
    valid for one license."""
    key = sign_key(PAYLOAD, SIGNING_KEY)
    payload_end = key.index(".")
    # Every alternative where base64 has spare bits (the last characters of each part) and
    # next to the separators; two bit-flipped alternatives everywhere else (keeps it fast).
    thorough = {4, 5, payload_end - 2, payload_end - 1, payload_end + 1, len(key) - 2}
    thorough.add(len(key) - 1)
    silently_accepted = []
    for index, original in enumerate(key):
        if index in thorough or original not in B64URL:
            replacements = B64URL
        else:
            position = B64URL.index(original)
            replacements = B64URL[position ^ 0x01] + B64URL[position ^ 0x20]
        for replacement in replacements:
            if replacement == original:
                continue
            tampered = key[:index] + replacement + key[index + 1 :]
            try:
                verify_key(tampered, PUBLIC_KEY)
            except FAILS:
                continue
            silently_accepted.append((index, original, replacement))
    assert silently_accepted == []


def test_the_last_signature_character_has_no_spare_bits_to_play_with() -> None:
    """86 base64 characters carry 516 bits for a 512-bit signature: the last character's
    4 low bits are padding. A lenient decoder accepts 15 other characters there."""
    key = sign_key(PAYLOAD, SIGNING_KEY)
    last = B64URL.index(key[-1])
    assert last & 0x0F == 0  # canonical encoding leaves the spare bits zero
    variant = key[:-1] + B64URL[last | 0x01]
    with pytest.raises(FAILS):
        verify_key(variant, PUBLIC_KEY)


# --- malformed keys -----------------------------------------------------------------------

_GOOD = sign_key(PAYLOAD, SIGNING_KEY)
_GOOD_PAYLOAD, _GOOD_SIGNATURE = _parts(_GOOD)


@pytest.mark.parametrize(
    "key",
    [
        pytest.param("", id="empty"),
        pytest.param("key/", id="prefix-only"),
        pytest.param("key/.", id="empty-parts"),
        pytest.param(f"key/.{_GOOD_SIGNATURE}", id="empty-payload"),
        pytest.param(f"key/{_GOOD_PAYLOAD}.", id="empty-signature"),
        pytest.param(f"key/{_GOOD_PAYLOAD}", id="no-dot"),
        pytest.param(_GOOD[len("key/") :], id="no-prefix"),
        pytest.param("KEY/" + _GOOD[len("key/") :], id="upper-case-prefix"),
        pytest.param("lic/" + _GOOD[len("key/") :], id="other-prefix"),
        pytest.param(" " + _GOOD, id="leading-space"),
        pytest.param(_GOOD + "\n", id="trailing-newline"),
        pytest.param(_GOOD + " ", id="trailing-space"),
        pytest.param(f"key/{_GOOD_PAYLOAD}.{_GOOD_SIGNATURE}.", id="two-dots-trailing"),
        pytest.param(f"key/{_GOOD_PAYLOAD}..{_GOOD_SIGNATURE}", id="two-dots-inside"),
        pytest.param(f"key/{_GOOD_PAYLOAD}.{_GOOD_SIGNATURE}.abc", id="three-parts"),
        pytest.param(f"key/{_GOOD_PAYLOAD}.{_GOOD_SIGNATURE}==", id="padded-signature"),
        pytest.param(f"key/{_GOOD_PAYLOAD}=.{_GOOD_SIGNATURE}", id="padded-payload"),
        pytest.param(
            f"key/{_GOOD_PAYLOAD}.{_GOOD_SIGNATURE.replace('-', '+').replace('_', '/')}+/",
            id="standard-base64-alphabet",
        ),
        pytest.param(f"key/{_GOOD_PAYLOAD}.{_GOOD_SIGNATURE[:-2]}!!", id="punctuation"),
        pytest.param(f"key/{_GOOD_PAYLOAD}.{_GOOD_SIGNATURE[:-1]}é", id="non-ascii"),
        pytest.param(f"key/{_GOOD_PAYLOAD[:10]} {_GOOD_PAYLOAD[10:]}.x", id="inner-space"),
        pytest.param(f"key/{_GOOD_PAYLOAD}.A", id="impossible-base64-length"),
        pytest.param("key/A.AAAA", id="impossible-payload-length"),
        pytest.param("key/key/.", id="doubled-prefix"),
    ],
)
def test_malformed_keys_raise_key_format_error(key: str) -> None:
    with pytest.raises(KeyFormatError):
        verify_key(key, PUBLIC_KEY)


@pytest.mark.parametrize(
    "raw_payload",
    [
        pytest.param(b"not json", id="not-json"),
        pytest.param(b"\xff\xfe", id="not-utf8"),
        pytest.param(b"{}", id="empty-object"),
        pytest.param(b"null", id="null"),
        pytest.param(b"[]", id="array"),
        pytest.param(b'"a string"', id="string"),
        pytest.param(b"42", id="number"),
        pytest.param(
            json.dumps({**json.loads(PAYLOAD.to_json()), "license_id": "nope"}).encode(),
            id="bad-uuid",
        ),
        pytest.param(
            json.dumps({**json.loads(PAYLOAD.to_json()), "license_id": 7}).encode(),
            id="uuid-as-number",
        ),
        pytest.param(
            json.dumps({**json.loads(PAYLOAD.to_json()), "issued_at": "yesterday"}).encode(),
            id="bad-date",
        ),
        pytest.param(
            json.dumps({**json.loads(PAYLOAD.to_json()), "issued_at": None}).encode(),
            id="null-issued-at",
        ),
        pytest.param(
            json.dumps({**json.loads(PAYLOAD.to_json()), "major_version": "three"}).encode(),
            id="bad-major",
        ),
        pytest.param(
            json.dumps(
                {k: v for k, v in json.loads(PAYLOAD.to_json()).items() if k != "product_id"}
            ).encode(),
            id="missing-field",
        ),
    ],
)
def test_a_well_signed_key_whose_payload_is_not_a_license_is_a_format_error(
    raw_payload: bytes,
) -> None:
    """Signed with our own key (so the signature passes): the payload check alone decides,
    and it must answer KeyFormatError, not an AttributeError escaping from the parser."""
    with pytest.raises(KeyFormatError):
        verify_key(_signed(raw_payload), PUBLIC_KEY)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_never_verifies_and_fails_cleanly(text: str) -> None:
    for candidate in (text, "key/" + text):
        with pytest.raises(FAILS):
            verify_key(candidate, PUBLIC_KEY)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_random_character_edits_never_pass(data: st.DataObject) -> None:
    """Insertions, deletions and replacements anywhere in the key text."""
    key = _GOOD
    index = data.draw(st.integers(min_value=0, max_value=len(key) - 1))
    edit = data.draw(st.sampled_from(["insert", "delete", "replace"]))
    char = data.draw(st.sampled_from(B64URL + ".=/+ "))
    if edit == "insert":
        tampered = key[:index] + char + key[index:]
    elif edit == "delete":
        tampered = key[:index] + key[index + 1 :]
    else:
        tampered = key[:index] + char + key[index + 1 :]
    if tampered == key:
        return
    # Only a replacement inside the last signature character's spare bits could decode to
    # the same signature; that is covered (and expected to fail) by its own test above.
    if edit == "replace" and index == len(key) - 1 and char in B64URL:
        return
    with pytest.raises(FAILS):
        verify_key(tampered, PUBLIC_KEY)


# --- offline verification with nothing but cryptography -----------------------------------

_OFFLINE_VERIFIER = textwrap.dedent(
    """
    import base64, json, sys
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    pem, key = sys.stdin.read().split("\\n--KEY--\\n")
    assert key.startswith("key/")
    signed_part, signature_text = key.split(".")
    def unb64(text):
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    public_key = load_pem_public_key(pem.encode())
    public_key.verify(unb64(signature_text), signed_part.encode("ascii"))  # raises if bad
    payload = json.loads(unb64(signed_part[len("key/"):]).decode("utf-8"))
    assert not any(name.split(".")[0] in ("contracts", "careplane_shared") for name in sys.modules)
    print(json.dumps(payload))
    """
)


def test_a_key_verifies_offline_with_plain_cryptography() -> None:
    """A customer's installation has the PEM served by contracts and the key, nothing else:
    a separate Python process, importing only the standard library and `cryptography`."""
    pem = PUBLIC_KEY.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    key = sign_key(PAYLOAD, SIGNING_KEY)

    def run(candidate: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-I", "-c", _OFFLINE_VERIFIER],
            input=f"{pem}\n--KEY--\n{candidate}",
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    good = run(key)
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout) == {
        "license_id": str(PAYLOAD.license_id),
        "customer_id": str(PAYLOAD.customer_id),
        "product_id": str(PAYLOAD.product_id),
        "major_version": 3,
        "issued_at": "2026-11-22T09:30:00+00:00",
        "expires_at": "2027-09-22T23:59:59+00:00",
    }
    forged = run(sign_key(PAYLOAD, OTHER_KEY))
    assert forged.returncode != 0
    assert "InvalidSignature" in forged.stderr
