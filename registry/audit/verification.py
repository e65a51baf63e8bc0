from collections import defaultdict
from dataclasses import dataclass, field

from . import keys
from .anchors import Anchor, read_anchors
from .models import AuditChainHead, AuditEntry
from .services import GENESIS_HASH, hash_of_entry


@dataclass
class ChainReport:
    checked: int = 0
    anchors: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _keyring() -> tuple[keys.Keyring, list[str]]:
    try:
        return keys.load(), []
    except keys.AuditKeyMissing as exc:
        # Without the key nothing keyed can verify; legacy rows still can.
        return keys.Keyring(current="", keys={}, legacy_until=0), [str(exc)]


def _row_problem(entry: AuditEntry, keyring: keys.Keyring) -> str | None:
    if entry.key_id:
        secret = keyring.secret(entry.key_id)
        if secret is None:
            return f"第 {entry.seq} 条记录使用的密钥 {entry.key_id} 不在密钥文件中（记录被伪造，或密钥文件缺失）"
        if hash_of_entry(entry, secret) != entry.hash:
            return f"第 {entry.seq} 条记录的内容与其哈希不符（记录被篡改）"
    elif entry.seq > keyring.legacy_until:
        # Only rows from before keying may be plain SHA-256: anyone can compute those.
        return f"第 {entry.seq} 条记录没有密钥签名（第 {keyring.legacy_until} 条之后的记录都必须有；记录被改写）"
    elif hash_of_entry(entry) != entry.hash:
        return f"第 {entry.seq} 条记录的内容与其哈希不符（记录被篡改）"
    return None


def verify_chain(*, chunk_size: int = 2000, max_problems: int = 100, since: Anchor | None = None) -> ChainReport:
    """Walk the log in order and report every row whose keyed hash or link does not hold, and every
    anchor the log no longer matches. `since`: only the rows after that (trusted) anchor."""
    report = ChainReport()
    keyring, problems = _keyring()
    anchors, anchor_problems = read_anchors()
    report.problems += problems + anchor_problems
    by_seq: dict[int, list[Anchor]] = defaultdict(list)
    for anchor in anchors:
        if since is None or anchor.seq > since.seq:
            by_seq[anchor.seq].append(anchor)
            report.anchors += 1
    expected_prev, expected_seq = (since.hash, since.seq + 1) if since else (GENESIS_HASH, 1)
    entries = AuditEntry.objects.filter(seq__gte=expected_seq).order_by("seq")
    for entry in entries.iterator(chunk_size=chunk_size):
        report.checked += 1
        if entry.seq != expected_seq:
            report.problems.append(f"序号 {expected_seq} 到 {entry.seq - 1} 的记录缺失（被删除）")
        if entry.prev_hash != expected_prev:
            report.problems.append(f"第 {entry.seq} 条记录与上一条记录的链接不符（前序记录被删除或篡改）")
        if problem := _row_problem(entry, keyring):
            report.problems.append(problem)
        for anchor in by_seq.pop(entry.seq, []):
            if anchor.hash != entry.hash:
                report.problems.append(
                    f"第 {entry.seq} 条记录的哈希与 {anchor.anchored_at} 的锚点不符（该处及之前的记录被改写）"
                )
        expected_prev = entry.hash
        expected_seq = entry.seq + 1
        if len(report.problems) >= max_problems:
            return report
    last_seq = expected_seq - 1
    for seq in sorted(by_seq):
        anchored_at = by_seq[seq][0].anchored_at
        if seq > last_seq:
            report.problems.append(
                f"锚点（{anchored_at}）记录日志已到第 {seq} 条，但日志只到第 {last_seq} 条（末尾记录被删除）"
            )
        else:
            report.problems.append(f"锚点（{anchored_at}）记录的第 {seq} 条记录已不存在（记录被删除）")
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != last_seq or head.last_hash != expected_prev):
        report.problems.append(f"链头记录第 {head.seq} 条，但日志只到第 {last_seq} 条（末尾记录被删除）")
    return report
