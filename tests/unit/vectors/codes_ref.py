#!/usr/bin/env python3
"""Independent reference implementation of the coupond code forms
(docs/codes.md), used to cross-check the C library's test vectors.
Needs python3-cryptography. Prints the vectors; exits non-zero on mismatch."""
import hashlib
import hmac
import struct
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAC_KEY = bytes(range(32))
SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
MAC_KEY_ID = 1
SIGN_KEY_ID = 1


def gf_mul2(x):
    x <<= 1
    return x ^ 0x25 if x & 0x20 else x


def damm(symbols):
    s = 0
    for v in symbols:
        s = gf_mul2(s) ^ v
    return s


def b32(data):
    bits = "".join(f"{b:08b}" for b in data)
    bits += "0" * (-len(bits) % 5)
    return "".join(ALPHABET[int(bits[i:i + 5], 2)] for i in range(0, len(bits), 5))


def mac_tag(kind, slot, serial):
    msg = b"coupond-short-v1" + bytes([kind, slot]) + struct.pack(">I", serial)
    return hmac.new(MAC_KEY, msg, hashlib.sha256).digest()[:5]


def short_form(kind, serial):
    slot = MAC_KEY_ID % 4
    value = (kind << 74) | (slot << 72) | (serial << 40) | int.from_bytes(mac_tag(kind, slot, serial), "big")
    syms = [(value >> (70 - 5 * i)) & 31 for i in range(15)]
    syms.append(gf_mul2(damm(syms)))
    assert damm(syms) == 0
    text = "".join(ALPHABET[v] for v in syms)
    return "-".join(text[i:i + 4] for i in range(0, 16, 4))


def signed_form(kind, serial, campaign=0, expiry=0, offer_kind=0, offer_value=0, min_basket=0,
                card=None):
    slot = MAC_KEY_ID % 4
    flags = kind | (slot << 2) | (0x10 if card is not None else 0)
    payload = struct.pack(">BBBI5sIIBII", 1, SIGN_KEY_ID, flags, serial, mac_tag(kind, slot, serial),
                          campaign, expiry, offer_kind, offer_value, min_basket)
    if card is not None:
        payload += struct.pack(">I", card)
    sig = Ed25519PrivateKey.from_private_bytes(SEED).sign(b"coupond-signed-v1" + payload)
    return b32(payload + sig)


def mac_key_id(ranges, current, kind, slot, serial):
    """The one MAC key id that can have made the short form (kind, slot, serial), or None
    (docs/codes.md, "Rotation"). RANGES maps a kind to its recorded (key_id, first_serial)
    pairs in ascending order; CURRENT is the current MAC key, the legacy boundary when the
    kind has no range."""
    pairs = ranges.get(kind, [])
    holder = None
    for key_id, first in pairs:
        if first <= serial:
            holder = key_id
    if holder is not None:
        return holder if holder % 4 == slot else None
    boundary = pairs[0][0] if pairs else current
    return max((k for k in range(1, boundary + 1) if k % 4 == slot), default=None)


TEN_ROTATIONS = {0: [(1, 1), (5, 100), (11, 200)], 1: [(1, 1)]}
BEFORE_RANGES = {0: [(6, 1000), (9, 2000)]}
ROTATION = {
    # (ranges, current, kind, slot, serial): key id (tests/unit/test_code_rotation.c)
    (0, 11, 0, 1, 50): 1, (0, 11, 1, 1, 777): 1, (0, 11, 0, 1, 150): 5, (0, 11, 0, 3, 250): 11,
    (0, 11, 0, 1, 250): None, (0, 11, 0, 2, 50): None, (0, 11, 0, 1, 4294967295): None,
    (1, 11, 0, 0, 10): 4, (1, 11, 0, 1, 10): 5, (1, 11, 0, 2, 10): 6, (1, 11, 0, 3, 10): 3,
    (1, 11, 0, 1, 1500): None, (1, 11, 0, 2, 1500): 6, (1, 11, 1, 3, 10): 11,
    (2, 3, 0, 0, 10): None, (2, 3, 0, 3, 10): 3,
}


def rotation_mismatches():
    tables = [TEN_ROTATIONS, BEFORE_RANGES, {}]
    bad = 0
    for (table, current, kind, slot, serial), want in ROTATION.items():
        got = mac_key_id(tables[table], current, kind, slot, serial)
        if got != want:
            print(f"rotation {table, current, kind, slot, serial}: {got}, the document says {want}")
            bad += 1
    return bad


EXPECTED = {
    "short coupon 1": (short_form(0, 1), "4000-001W-4KPX-BQPE"),
    "short card 4294967295": (short_form(1, 4294967295), "QZZZ-ZZZ8-4PJ8-PV5C"),
    "short coupon 123456789": (short_form(0, 123456789), "43NQ-K8NJ-EY6V-MB3J"),
    "signed coupon": (signed_form(0, 123456789, 42, 1767225600, 1, 15, 2000),
                      "040G81TVSMAS7F3DT5HG000059MNBE800400000F0000FM5Y7F9T9YEZ12BG3V0TMT3241HEND08"
                      "HGRE81YZJRCEZNPM5HKF93C1X34V107Z7CTGVNP3CY4SBHGWX2MF08N0QVX1AJWWMJKY3JJ0Y"),
    "signed bound coupon": (signed_form(0, 1000, 7, 0, 2, 500, 0, card=4294967295),
                            "040H80000FM2CDFX5N5000000W000000080000FM0000007ZZZZZYDETYMTTCY1AKW55E4"
                            "76M3RH17JE6S4K8BCAEXVA2A7N22B2QW2RBEG5ZQQAPHGNPT2FY807NBBGS4HV4A4AHG0P"
                            "EF8R89V08QM3CR00"),
    "signed card": (signed_form(1, 4294967295),
                    "040GBZZZZZZM2B94BDJG000000000000000000000000002CG80DTF6YN98WSZ6YKPQB89A4DPP0Z"
                    "XZPM9VD3CBJZA4YD8730J6PE7JQ5R8GKCYNW5EZCZEKZR5D0691XFZ50JBDYFX9X6WNGEWGJ"),
}

if __name__ == "__main__":
    bad = rotation_mismatches()
    print(f"rotation rule: {len(ROTATION) - bad} of {len(ROTATION)} cases as documented")
    for name, (got, want) in EXPECTED.items():
        ok = got == want
        bad += not ok
        print(f"{name}: {got}{'' if ok else '  MISMATCH, C says ' + want}")
    sys.exit(1 if bad else 0)
