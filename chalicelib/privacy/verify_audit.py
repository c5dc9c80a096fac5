"""Verify a tenant's audit chains: ``python -m chalicelib.privacy.verify_audit <tenant>``.

For every shard's chain, walks the sealed records in seq order from the retention pointer
(or the genesis) and checks that the sequence has no gap, each record links to the
previous hash, each hash matches the record's content, the seal head points at the last
record and carries a valid signature, and every signed anchor matches the record at its
seq. Unsealed records are counted; they are a problem only when older than the stranded
threshold (the stream and the schedule both missed them). Exit status 1 on any problem.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from datetime import datetime

from chalicelib.privacy.audit_chain import chain_hash, signature_valid
from chalicelib.store import audit as store

# GSI2 (seq order) is eventually consistent: a walk shorter than the head is re-read.
_TAIL_RETRIES = 3


@dataclass
class Verification:
    tenant: str
    checked: int = 0
    unsealed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _key() -> bytes:
    from chalicelib.security.secrets import secret_bytes
    from chalicelib.settings import get_settings

    return secret_bytes(get_settings().audit_anchor_key)


def verify(tenant: str, now: datetime | None = None) -> Verification:
    from chalicelib import deps
    from chalicelib.privacy.audit import STRANDED_AFTER

    now = now or deps.clock().now()
    result = Verification(tenant=tenant)
    key = _key()
    for shard in range(store.SHARDS):
        _verify_chain(store.Chain(tenant, shard), key, result)
        unsealed = store.unsealed_records(store.Chain(tenant, shard))
        result.unsealed += len(unsealed)
        stranded = [u for u in unsealed if u["at"] < now - STRANDED_AFTER]
        if stranded:
            result.problems.append(f"shard {shard}: {len(stranded)} records are unsealed for over {STRANDED_AFTER}")
    return result


def _verify_chain(chain: store.Chain, key: bytes, result: Verification) -> None:
    name = f"shard {chain.shard}"
    pointer = store.retention_pointer(chain)
    start_seq = int(pointer.seq) if pointer else 0
    head = store.seal_head(chain)
    walked = list(store.sealed_records(chain, after_seq=start_seq))
    for _ in range(_TAIL_RETRIES):
        last_walked = int(walked[-1]["seq"]) if walked else start_seq
        if head is None or last_walked >= int(head.seq):
            break
        time.sleep(0.5)
        walked = list(store.sealed_records(chain, after_seq=start_seq))
    expected_seq = start_seq + 1
    prev_hash = pointer.hash if pointer else store.GENESIS
    by_seq: dict[int, str] = {}
    for entry in walked:
        seq = int(entry["seq"])
        if entry["pk"] != store.chain_pk(chain.tenant, chain.shard) or int(entry["shard"]) != chain.shard:
            result.problems.append(f"{name}: record {seq} sits in another chain: altered")
        if seq != expected_seq:
            result.problems.append(f"{name}: records {expected_seq}..{seq - 1} are missing (removed)")
        if entry["prev_hash"] != prev_hash:
            result.problems.append(f"{name}: record {seq} does not link to the previous record")
        if chain_hash(store.chained_fields(entry), entry["prev_hash"] or "") != entry["hash"]:
            result.problems.append(f"{name}: record {seq} was altered (hash mismatch)")
        result.checked += 1
        by_seq[seq] = entry["hash"]
        expected_seq = seq + 1
        prev_hash = entry["hash"]
    last_seq = expected_seq - 1
    if head is None:
        if last_seq > 0 or pointer is not None:
            result.problems.append(f"{name}: sealed records exist but the seal head is missing")
    else:
        if int(head.seq) != last_seq:
            result.problems.append(
                f"{name}: the head is at {int(head.seq)} but the last record is {last_seq} (removed)"
            )
        elif head.hash != prev_hash:
            result.problems.append(f"{name}: the head does not match the last record")
        if not signature_valid(key, chain.tenant, chain.shard, int(head.seq), head.hash, head.signature):
            result.problems.append(f"{name}: the head's signature is not valid (forged)")
    for anchor in store.anchors(chain):
        seq = int(anchor.seq)
        if anchor.sk != store.anchor_sk(seq):
            result.problems.append(f"{name}: anchor {anchor.sk} claims seq {seq}: altered")
        if not signature_valid(key, chain.tenant, chain.shard, seq, anchor.hash, anchor.signature):
            result.problems.append(f"{name}: anchor {seq} has no valid signature (forged)")
        if seq <= start_seq:
            if pointer is not None and seq == start_seq and anchor.hash != pointer.hash:
                result.problems.append(f"{name}: anchor {seq} does not match the retention pointer")
            continue  # removed by retention: the pointer carries on from it
        if seq not in by_seq:
            result.problems.append(f"{name}: anchor {seq} points at a record that is missing (removed)")
        elif by_seq[seq] != anchor.hash:
            result.problems.append(f"{name}: anchor {seq} does not match record {seq} (altered)")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m chalicelib.privacy.verify_audit <tenant>\n")
        return 2
    result = verify(args[0])
    for problem in result.problems:
        sys.stdout.write(f"FAIL {problem}\n")
    sys.stdout.write(
        f"{'OK' if result.ok else 'BROKEN'}: {result.checked} sealed records checked for {args[0]}, "
        f"{result.unsealed} not sealed yet\n"
    )
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
