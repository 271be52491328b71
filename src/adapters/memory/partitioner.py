"""Kafka's default partitioner for keyed records, so that a key lands on the partition of the
in-memory topic that a real producer would send it to (and on the same one in every process:
Python's `hash` of bytes changes with PYTHONHASHSEED).

The Java client's `BuiltInPartitioner.partitionForKey`: `toPositive(murmur2(key)) % partitions`,
with `Utils.murmur2` and `Utils.toPositive`. Python's ints do not wrap, so every step is masked
to 32 bits; `murmur2` gives back the signed value Java would, to compare with Kafka's own tests.
"""

from __future__ import annotations

_MASK = 0xFFFFFFFF
_SEED = 0x9747B28C
_M = 0x5BD1E995
_R = 24


def murmur2(data: bytes) -> int:
    """Kafka's `Utils.murmur2`: MurmurHash2, 32 bits, little-endian words, as a signed int."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    whole = length - length % 4
    for i in range(0, whole, 4):
        k = int.from_bytes(data[i : i + 4], "little")
        k = (k * _M) & _MASK
        k ^= k >> _R
        k = (k * _M) & _MASK
        h = (h * _M) & _MASK
        h ^= k
    tail = data[whole:]
    if tail:  # Java's switch falls through from the third byte down to the first
        h ^= int.from_bytes(tail, "little")
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def partition_for_key(key: bytes, partitions: int) -> int:
    """The partition Kafka's producer picks for `key` among `partitions`. `toPositive` drops the
    sign bit (not `abs`, which would leave Integer.MIN_VALUE negative)."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions
