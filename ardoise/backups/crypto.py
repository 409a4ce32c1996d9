"""Passphrase encryption of backup archives: scrypt, then AES-256-GCM over fixed-size chunks.

The file is a header followed by chunks, each sealed with AES-GCM (from
``cryptography``). Each chunk's 12-byte nonce is a random 7-byte prefix, a
4-byte big-endian chunk counter and a 1-byte flag that is 1 only on the last
chunk. This is the STREAM construction (Hoang, Reyhanitabar, Rogaway and
Vizár, "Online Authenticated-Encryption and its Nonce-Reuse Misuse-Resistance",
CRYPTO 2015): a chunk moved, removed or cut off no longer decrypts, because
its counter or its last-chunk flag differs from the one it was sealed with.
The header is authenticated as associated data of every chunk.

scrypt derives 64 bytes from the passphrase: the first 32 are the AES key,
the SHA-256 of the last 32 is stored in the header so that a wrong passphrase
is told apart from a damaged file. Without the passphrase the archive cannot
be read by anyone, including the Ardoise developers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import struct
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

MAGIC = b"ARDOISE-ENC1"
CHUNK_SIZE = 1024 * 1024
TAG_SIZE = 16
# scrypt cost: 2**15 × 8 × 128 bytes = 32 MiB of memory per derivation (RFC 7914 recommends r=8, p=1).
SCRYPT_LOG2_N = 15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_SIZE = 16
PREFIX_SIZE = 7
# magic, salt, log2 N, r, p, nonce prefix, chunk size, key check.
HEADER = struct.Struct(">12s16sBBB7sI32s")


class DecryptionError(Exception):
    """The archive cannot be decrypted; ``wrong_passphrase`` distinguishes a bad passphrase from a damaged file."""

    def __init__(self, wrong_passphrase: bool) -> None:
        super().__init__("wrong passphrase" if wrong_passphrase else "damaged or truncated encrypted archive")
        self.wrong_passphrase = wrong_passphrase


def is_encrypted(path: str | os.PathLike[str]) -> bool:
    with open(path, "rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> tuple[bytes, bytes]:
    material = Scrypt(salt=salt, length=64, n=2**log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))
    return material[:32], hashlib.sha256(material[32:]).digest()


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">IB", counter, 1 if last else 0)


def encrypt_file(source: BinaryIO, target: BinaryIO, passphrase: str) -> None:
    """Encrypt ``source`` into ``target`` with a key derived from ``passphrase``."""
    salt = os.urandom(SALT_SIZE)
    prefix = os.urandom(PREFIX_SIZE)
    key, check = _derive(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
    header = HEADER.pack(MAGIC, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, prefix, CHUNK_SIZE, check)
    target.write(header)
    aead = AESGCM(key)
    counter = 0
    chunk = source.read(CHUNK_SIZE)
    while True:
        following = source.read(CHUNK_SIZE)
        last = not following
        target.write(aead.encrypt(_nonce(prefix, counter, last), chunk, header))
        if last:
            return
        # 2**32 chunks of 1 MiB is 4 PiB: the counter cannot wrap on a real installation.
        counter += 1
        chunk = following


def decrypt_file(source: BinaryIO, target: BinaryIO, passphrase: str) -> None:
    """Decrypt ``source`` into ``target``; raise ``DecryptionError`` on a wrong passphrase or any damage."""
    header = source.read(HEADER.size)
    if len(header) != HEADER.size:
        raise DecryptionError(wrong_passphrase=False)
    magic, salt, log2_n, r, p, prefix, chunk_size, check = HEADER.unpack(header)
    # Bounds keep a forged header from asking for gigabytes of scrypt memory.
    if magic != MAGIC or not (10 <= log2_n <= 20 and 1 <= r <= 16 and 1 <= p <= 4) or chunk_size > 64 * CHUNK_SIZE:
        raise DecryptionError(wrong_passphrase=False)
    key, expected_check = _derive(passphrase, salt, log2_n, r, p)
    if not hmac.compare_digest(check, expected_check):
        raise DecryptionError(wrong_passphrase=True)

    aead = AESGCM(key)
    sealed_size = chunk_size + TAG_SIZE
    counter = 0
    sealed = source.read(sealed_size)
    while True:
        following = source.read(sealed_size)
        last = not following
        try:
            target.write(aead.decrypt(_nonce(prefix, counter, last), sealed, header))
        except InvalidTag:
            raise DecryptionError(wrong_passphrase=False) from None
        if last:
            return
        counter += 1
        sealed = following
