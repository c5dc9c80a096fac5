"""Verify a tenant's audit chain: ``python -m chalicelib.privacy.verify_audit <tenant>``.

Walks the records in chain order from the retention anchor (or the genesis) and checks
that the sequence has no gap, each record links to the previous hash, each hash matches
the record's content, and the head points at the last record. Exit status 1 on failure.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from chalicelib.privacy.audit_chain import chain_hash
from chalicelib.store import audit as store


@dataclass
class Verification:
    tenant: str
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(tenant: str) -> Verification:
    result = Verification(tenant=tenant)
    anchor = store.anchor(tenant)
    expected_seq = int(anchor.seq) + 1 if anchor else 1
    prev_hash = anchor.hash if anchor else store.GENESIS
    for entry in store.records(tenant, after_seq=expected_seq - 1):
        seq = int(entry.seq)
        if entry.sk != store.record_sk(seq):
            result.problems.append(f"record {entry.sk} claims seq {seq}: altered")
        if seq != expected_seq:
            result.problems.append(f"records {expected_seq}..{seq - 1} are missing (removed)")
        if entry.prev_hash != prev_hash:
            result.problems.append(f"record {seq} does not link to the previous record")
        if chain_hash(entry.chained_fields(), entry.prev_hash) != entry.hash:
            result.problems.append(f"record {seq} was altered (hash mismatch)")
        result.checked += 1
        expected_seq = seq + 1
        prev_hash = entry.hash
    head = store.head(tenant)
    last_seq = expected_seq - 1
    if head is None:
        if last_seq > 0 or anchor is not None:
            result.problems.append("records exist but the chain head is missing")
    else:
        if int(head.seq) != last_seq:
            result.problems.append(f"the head is at {int(head.seq)} but the last record is {last_seq} (removed)")
        elif head.hash != prev_hash:
            result.problems.append("the head does not match the last record")
    return result


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m chalicelib.privacy.verify_audit <tenant>\n")
        return 2
    result = verify(args[0])
    for problem in result.problems:
        sys.stdout.write(f"FAIL {problem}\n")
    sys.stdout.write(f"{'OK' if result.ok else 'BROKEN'}: {result.checked} records checked for {args[0]}\n")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
