"""Passphrase encryption of archives: round trip, and every kind of damage detected."""

from __future__ import annotations

import io
import os

import pytest

from ardoise.backups import crypto

PASSPHRASE = "cheval agrafe batterie correcte"


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Use 1 KiB chunks so that a few KiB of data span several chunks."""
    monkeypatch.setattr(crypto, "CHUNK_SIZE", 1024)


def encrypt(data: bytes, passphrase: str = PASSPHRASE) -> bytes:
    target = io.BytesIO()
    crypto.encrypt_file(io.BytesIO(data), target, passphrase)
    return target.getvalue()


def decrypt(data: bytes, passphrase: str = PASSPHRASE) -> bytes:
    target = io.BytesIO()
    crypto.decrypt_file(io.BytesIO(data), target, passphrase)
    return target.getvalue()


def sealed_chunks(data: bytes) -> tuple[bytes, list[bytes]]:
    header, body = data[: crypto.HEADER.size], data[crypto.HEADER.size :]
    size = 1024 + crypto.TAG_SIZE
    return header, [body[start : start + size] for start in range(0, len(body), size)]


@pytest.mark.parametrize("length", [0, 1, 1024, 1025, 5000])
def test_round_trip(length):
    data = os.urandom(length)

    assert decrypt(encrypt(data)) == data


def test_ciphertext_hides_plaintext():
    data = b"Facture F-2026-0001 " * 100

    assert b"Facture" not in encrypt(data)


def test_wrong_passphrase_is_told_apart():
    with pytest.raises(crypto.DecryptionError) as raised:
        decrypt(encrypt(b"data"), "autre phrase")

    assert raised.value.wrong_passphrase


def test_flipped_byte_detected():
    sealed = bytearray(encrypt(os.urandom(3000)))
    sealed[crypto.HEADER.size + 1500] ^= 0x01

    with pytest.raises(crypto.DecryptionError) as raised:
        decrypt(bytes(sealed))

    assert not raised.value.wrong_passphrase


def test_truncation_at_chunk_boundary_detected():
    header, chunks = sealed_chunks(encrypt(os.urandom(3000)))
    assert len(chunks) == 3

    with pytest.raises(crypto.DecryptionError):
        decrypt(header + b"".join(chunks[:2]))


def test_truncation_inside_chunk_detected():
    sealed = encrypt(os.urandom(3000))

    with pytest.raises(crypto.DecryptionError):
        decrypt(sealed[:-10])


def test_reordered_chunks_detected():
    header, chunks = sealed_chunks(encrypt(os.urandom(3000)))

    with pytest.raises(crypto.DecryptionError):
        decrypt(header + chunks[1] + chunks[0] + chunks[2])


def test_altered_header_detected():
    sealed = bytearray(encrypt(os.urandom(100)))
    # The nonce prefix sits after magic (12), salt (16) and the three scrypt parameters.
    sealed[31] ^= 0x01

    with pytest.raises(crypto.DecryptionError) as raised:
        decrypt(bytes(sealed))

    assert not raised.value.wrong_passphrase


def test_header_only_file_rejected():
    sealed = encrypt(b"")

    with pytest.raises(crypto.DecryptionError):
        decrypt(sealed[: crypto.HEADER.size])
