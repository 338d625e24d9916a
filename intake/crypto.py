"""Client data at rest: AES-GCM column types, hashed link tokens, the name-search blind index.

Keys come from configuration (INTAKE_ENCRYPTION_KEYS: the first encrypts, every one decrypts;
INTAKE_SEARCH_KEYS for the blind index: the first writes, every one is looked up, so the key
can be rotated without a moment when search finds nothing; INTAKE_SEARCH_KEY is one such key).
Without them, outside production, a key file is made once in the instance folder (mode 0600),
so `make run` needs no setup. Each ciphertext names the key that made it (the first 8 hex
digits of the key's sha256) and is bound to its table and column (associated data), so it
cannot be copied into another column and still open.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import Flask, current_app
from sqlalchemy import LargeBinary, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

KEY_FILE = "encryption-keys.json"
TEXT_PREFIX = "e1."
BYTES_PREFIX = b"\x00e1"
KID_LENGTH = 8
NONCE_BYTES = 12
# The blind index keeps this many hex digits of each HMAC (128 bits: no collisions in practice).
BLIND_HEX = 32


class CryptoError(RuntimeError):
    """A key is missing, malformed, or a ciphertext opens with none of the configured keys."""


def new_key() -> str:
    """A fresh 256-bit key, URL-safe base64 (for INTAKE_ENCRYPTION_KEYS, INTAKE_SEARCH_KEYS)."""
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _decode_key(text: str) -> bytes:
    """The 32 bytes of a configured key; anything else is refused with a clear message."""
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise CryptoError(
            "an encryption key must be 32 bytes in URL-safe base64"
            " (`flask --app intake keys generate` prints one)"
        )
    return raw


def key_id(key: bytes) -> str:
    """The short name a ciphertext carries of the key that made it."""
    return hashlib.sha256(key).hexdigest()[:KID_LENGTH]


@dataclass(frozen=True)
class Keyring:
    """The keys of one deployment: encryption keys by id (the first encrypts), search keys
    (the first writes the blind index, every one is looked up)."""

    keys: tuple[tuple[str, bytes], ...]
    search_keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        # bytes is a sequence too: one key passed where the tuple goes would be 32 "keys".
        if isinstance(self.search_keys, bytes) or not self.search_keys:
            raise CryptoError("search keys are a non-empty tuple of keys")

    @classmethod
    def from_texts(cls, keys: list[str], search_keys: list[str] | str) -> Keyring:
        """A keyring from configured base64 texts (one search key, or several newest first)."""
        if not keys:
            raise CryptoError("no encryption key configured")
        searches = [search_keys] if isinstance(search_keys, str) else search_keys
        if not searches:
            raise CryptoError("no search key configured")
        decoded = [_decode_key(k) for k in keys]
        return cls(
            tuple((key_id(k), k) for k in decoded),
            tuple(dict.fromkeys(_decode_key(k) for k in searches)),
        )

    @property
    def current(self) -> str:
        """The id of the key that encrypts."""
        return self.keys[0][0]

    @property
    def search_key(self) -> bytes:
        """The search key that writes the blind index (the first)."""
        return self.search_keys[0]

    @property
    def search_current(self) -> str:
        """The id of the search key that writes the blind index."""
        return key_id(self.search_key)

    def _aead(self, kid: str) -> AESGCM:
        for known, key in self.keys:
            if known == kid:
                return AESGCM(key)
        raise CryptoError(f"no configured key has id {kid} (was a key removed too early?)")

    def seal(self, plain: bytes, context: str) -> tuple[str, bytes]:
        """Encrypt with the first key; returns its id and nonce + ciphertext + tag."""
        nonce = secrets.token_bytes(NONCE_BYTES)
        kid, key = self.keys[0]
        return kid, nonce + AESGCM(key).encrypt(nonce, plain, context.encode())

    def open(self, kid: str, sealed: bytes, context: str) -> bytes:
        """Decrypt and authenticate; a changed, moved or foreign ciphertext raises."""
        try:
            return self._aead(kid).decrypt(
                sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode()
            )
        except InvalidTag:
            raise CryptoError(f"a value of {context} does not open: altered or moved") from None

    def encrypt_text(self, plain: str, context: str) -> str:
        """A text column's stored form: 'e1.<key id>.<base64>'."""
        kid, sealed = self.seal(plain.encode(), context)
        return f"{TEXT_PREFIX}{kid}.{base64.urlsafe_b64encode(sealed).decode()}"

    def decrypt_text(self, stored: str, context: str) -> str:
        """The plain text of a stored text value."""
        kid, body = text_kid(stored), stored[len(TEXT_PREFIX) + KID_LENGTH + 1 :]
        return self.open(kid, base64.urlsafe_b64decode(body), context).decode()

    def encrypt_bytes(self, plain: bytes, context: str) -> bytes:
        """A binary column's stored form: magic, key id, nonce, ciphertext and tag."""
        kid, sealed = self.seal(plain, context)
        return BYTES_PREFIX + kid.encode() + sealed

    def decrypt_bytes(self, stored: bytes, context: str) -> bytes:
        """The plain bytes of a stored binary value."""
        return self.open(bytes_kid(stored), stored[len(BYTES_PREFIX) + KID_LENGTH :], context)

    def blind(self, clinic_id: int, word: str) -> str:
        """The keyed, clinic-bound digest stored instead of a (folded) name word or prefix."""
        return _blind(self.search_key, clinic_id, word)

    def blinds(self, clinic_id: int, word: str) -> list[str]:
        """The digests a search looks up: one per configured search key, so rows written under
        the previous key are found until `keys rotate` has rebuilt them."""
        return [_blind(key, clinic_id, word) for key in self.search_keys]


def _blind(key: bytes, clinic_id: int, word: str) -> str:
    """HMAC-SHA256 of 'clinic:word' under one search key, cut to BLIND_HEX hex digits."""
    message = f"{clinic_id}:{word}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:BLIND_HEX]


def text_kid(stored: str) -> str:
    """The key id of a stored text value; a value not encrypted by us raises."""
    if not stored.startswith(TEXT_PREFIX):
        raise CryptoError("a value that should be encrypted is stored in plain text")
    return stored[len(TEXT_PREFIX) : len(TEXT_PREFIX) + KID_LENGTH]


def bytes_kid(stored: bytes) -> str:
    """The key id of a stored binary value; a value not encrypted by us raises."""
    if not stored.startswith(BYTES_PREFIX):
        raise CryptoError("a value that should be encrypted is stored in plain bytes")
    return stored[len(BYTES_PREFIX) : len(BYTES_PREFIX) + KID_LENGTH].decode()


def keyring() -> Keyring:
    """The current application's keyring."""
    ring: Keyring = current_app.extensions["intake_keyring"]
    return ring


def _split(value: Any) -> list[str]:
    """Keys from a list or a comma/whitespace-separated string."""
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part for part in str(value or "").replace(",", " ").split() if part]


def search_keys(config: Mapping[str, Any]) -> list[str]:
    """The configured search keys, newest first: SEARCH_KEYS when set, else SEARCH_KEY."""
    # SEARCH_KEYS takes SEARCH_KEY's place rather than adding to it: a leaked key left in
    # SEARCH_KEY after a rotation must not stay in use.
    return _split(config.get("SEARCH_KEYS")) or _split(config.get("SEARCH_KEY"))


def init_app(app: Flask) -> None:
    """Load the keys: from configuration, else (outside production) the instance key file."""
    keys, search = _split(app.config.get("ENCRYPTION_KEYS")), search_keys(app.config)
    if not keys or not search:
        stored = instance_keys(Path(app.instance_path))
        keys = keys or stored["encryption_keys"]
        search = search or [stored["search_key"]]
    app.extensions["intake_keyring"] = Keyring.from_texts(keys, search)


def instance_keys(folder: Path) -> dict[str, Any]:
    """The embedded default's keys: read from instance/, made there (0600) the first time."""
    path = folder / KEY_FILE
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        made = {"encryption_keys": [new_key()], "search_key": new_key()}
        try:
            # O_EXCL: two processes starting at once never make two different keys.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                json.dump(made, out)
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def token_hash(token: str) -> str:
    """sha256 of a client link token: what is stored and looked up, never the token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class EncryptedText(TypeDecorator[str]):
    """A text column stored encrypted (AES-GCM, bound to table.column); reads give plain text."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        """Encrypt on the way in."""
        return None if value is None else keyring().encrypt_text(value, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        """Decrypt on the way out."""
        return None if value is None else keyring().decrypt_text(value, self.context)


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON value stored encrypted as text; reads give the dict or list back."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        """Serialise, then encrypt."""
        if value is None:
            return None
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return keyring().encrypt_text(plain, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        """Decrypt, then parse."""
        return None if value is None else json.loads(keyring().decrypt_text(value, self.context))


class EncryptedBytes(TypeDecorator[bytes]):
    """A binary column (a PDF) stored encrypted; reads give the plain bytes."""

    impl = LargeBinary
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        """Encrypt on the way in."""
        return None if value is None else keyring().encrypt_bytes(bytes(value), self.context)

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> bytes | None:
        """Decrypt on the way out."""
        return None if value is None else keyring().decrypt_bytes(bytes(value), self.context)


ENCRYPTED_TYPES = (EncryptedText, EncryptedJSON, EncryptedBytes)
