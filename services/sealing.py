"""Personal data sealed at rest: ID numbers, phones and the form answers that hold them are
stored encrypted (SM4-GCM: confidential and authenticated — a value changed in the database,
or moved to another column, no longer opens; one moved whole to another row of the same column
still does: the row's id is not known before the row is written), each with the key id it was sealed under, so keys rotate (`flask
rotate-keys`). Exact lookups ("the person with this phone") go through a blind index beside the
value: HMAC-SM3 of it under a key of its own, the same for one kind of value in every table,
so an ID number in one table still matches the same number in another.

Models use sealed_value(): the attribute reads and writes plain text, `Model.attr == x`
compares blind indexes, and nothing else in the code knows. Keys come from the environment
(PERSONAL_DATA_KEYS, BLIND_INDEX_KEY; docs/security.md); outside production they are derived
from SECRET_KEY so `make run` needs none."""
from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from sqlalchemy import String, Text
from sqlalchemy.ext.hybrid import Comparator, hybrid_property
from sqlalchemy.types import TypeDecorator

NONCE = 12
TAG = 16
SEALED_LENGTH = 120  # a sealed 18-character ID number is 68 characters; room for longer values


class KeyProblem(ValueError):
    """A key is missing or malformed: start-up stops and says which."""


@dataclass(frozen=True)
class Keys:
    current: str  # the id new values are sealed under
    sealing: dict[str, bytes]  # id -> 16-byte SM4 key; old ones only open
    index: bytes

    @classmethod
    def parse(cls, sealing: str, index: str) -> Keys:
        """PERSONAL_DATA_KEYS = "2:<32 hex>,1:<32 hex>" (the first is current), BLIND_INDEX_KEY = <64 hex>."""
        found: dict[str, bytes] = {}
        for part in (p.strip() for p in sealing.split(",") if p.strip()):
            key_id, _, hex_key = part.partition(":")
            try:
                key = bytes.fromhex(hex_key)
            except ValueError:
                key = b""
            if not key_id.isalnum() or len(key_id) > 8 or len(key) != 16 or key_id in found:
                raise KeyProblem(f"PERSONAL_DATA_KEYS 的 {key_id or '?'} 不对：每个写成 编号:32位十六进制")
            found[key_id] = key
        try:
            index_key = bytes.fromhex(index)
        except ValueError:
            index_key = b""
        if not found or len(index_key) < 32:
            raise KeyProblem("需要 PERSONAL_DATA_KEYS（至少一个）和 BLIND_INDEX_KEY（64 位十六进制）")
        return cls(next(iter(found)), found, index_key)

    @classmethod
    def derived(cls, secret: str) -> Keys:
        """Outside production: stable keys from SECRET_KEY (the instance's, kept in instance/)."""
        def derive(purpose: str) -> bytes:
            return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()
        return cls("dev", {"dev": derive("sealing")[:16]}, derive("blind-index"))


def keys_from(config: dict, secret_key: str, production: bool) -> Keys:
    sealing, index = config.get("PERSONAL_DATA_KEYS") or "", config.get("BLIND_INDEX_KEY") or ""
    if sealing or index or production:
        return Keys.parse(sealing, index)
    return Keys.derived(secret_key)


def _keys() -> Keys:
    from services.registry import registry

    return registry().keys


def seal(value: str, purpose: str, keys: Keys | None = None) -> str:
    """"<key id>:<base64 nonce|ciphertext|tag>"; `purpose` (the column) is bound in, so a value
    copied into another column does not open there."""
    keys = keys or _keys()
    nonce = os.urandom(NONCE)
    encryptor = Cipher(algorithms.SM4(keys.sealing[keys.current]), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(purpose.encode())
    body = encryptor.update(value.encode()) + encryptor.finalize()
    return f"{keys.current}:" + base64.b64encode(nonce + body + encryptor.tag).decode()


class Tampered(ValueError):
    """A sealed value that does not open: changed in the database, or sealed under a key we lack."""


def open_sealed(sealed: str, purpose: str, keys: Keys | None = None) -> str:
    keys = keys or _keys()
    key_id, _, body = sealed.partition(":")
    if key_id not in keys.sealing:
        raise Tampered(f"没有密钥 {key_id}：PERSONAL_DATA_KEYS 里缺少旧密钥")
    raw = base64.b64decode(body)
    nonce, tag, ciphertext = raw[:NONCE], raw[-TAG:], raw[NONCE:-TAG]
    decryptor = Cipher(algorithms.SM4(keys.sealing[key_id]), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(purpose.encode())
    try:
        return (decryptor.update(ciphertext) + decryptor.finalize()).decode()
    except InvalidTag:
        raise Tampered(f"{purpose} 的密文校验失败（被改动过）") from None


def key_id_of(sealed: str | None) -> str | None:
    return sealed.partition(":")[0] if sealed else None


def blind(value: str, kind: str, keys: Keys | None = None) -> str:
    """The blind index of a value of a kind ("phone", "id_number"): equal values, equal index."""
    mac = hmac.HMAC((keys or _keys()).index, hashes.SM3())
    mac.update(f"{kind}|{value}".encode())
    return mac.finalize().hex()


class Sealed(TypeDecorator):
    """A string column stored sealed; reads give the plain text back."""
    impl = String(SEALED_LENGTH)
    cache_ok = True

    def __init__(self, purpose: str):
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value, dialect):
        return None if value is None else seal(value, self.purpose)

    def process_result_value(self, value, dialect):
        return None if value is None else open_sealed(value, self.purpose)


class SealedJSON(TypeDecorator):
    """A JSON document stored sealed (form answers, a read card): it holds ID numbers too."""
    impl = Text
    cache_ok = True

    def __init__(self, purpose: str):
        super().__init__()
        self.purpose = purpose

    def process_bind_param(self, value, dialect):
        return None if value is None else seal(json.dumps(value, ensure_ascii=False), self.purpose)

    def process_result_value(self, value, dialect):
        return None if value is None else json.loads(open_sealed(value, self.purpose))


class _BlindComparator(Comparator):
    """`Model.attr == x` as SQL: the blind indexes compared, never the sealed values."""

    def __init__(self, value_column, index_column, kind: str):
        super().__init__(value_column)
        self.index, self.kind = index_column, kind

    def _index_of(self, other):
        other = getattr(other, "comparator", other)  # another sealed attribute, as the ORM hands it over
        if isinstance(other, _BlindComparator):
            return other.index
        if not isinstance(other, str):
            raise TypeError(f"a sealed value compares with a string or another sealed value, not {type(other)}")
        return blind(other, self.kind)

    def __eq__(self, other):  # noqa: D105
        return self.index.is_(None) if other is None else self.index == self._index_of(other)

    def __ne__(self, other):  # noqa: D105
        return self.index.is_not(None) if other is None else self.index != self._index_of(other)

    def in_(self, values):
        if not isinstance(values, (list, tuple, set)) or any(not isinstance(v, str) for v in values):
            raise TypeError("a sealed value is looked up among strings only")
        return self.index.in_([blind(v, self.kind) for v in values])

    def asc(self):
        raise TypeError("sealed values have no order: sort in Python after reading them")

    desc = asc

    def is_(self, other):
        return self.index.is_(other)

    def is_not(self, other):
        return self.index.is_not(other)


def sealed_value(name: str, kind: str) -> hybrid_property:
    """The attribute `name` of a sealed column (mapped as `_<name>`, type Sealed) with its blind
    index (`<name>_index`): setting it sets both; comparing it in a query compares the index."""
    value_attr, index_attr = f"_{name}", f"{name}_index"

    def get(self):
        return getattr(self, value_attr)

    def set_(self, value):
        setattr(self, value_attr, value)
        setattr(self, index_attr, None if value is None else blind(value, kind))

    def compare(cls):
        return _BlindComparator(getattr(cls, value_attr), getattr(cls, index_attr), kind)

    get.__name__ = set_.__name__ = name
    return hybrid_property(get, set_).comparator(compare)
