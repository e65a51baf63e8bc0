from dataclasses import dataclass, field

from .models import AuditChainHead, AuditEntry
from .services import GENESIS_HASH, hash_of_entry


@dataclass
class ChainReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain(*, chunk_size: int = 2000, max_problems: int = 100) -> ChainReport:
    """Walk the whole log in order and report every row whose hash or link does not hold."""
    report = ChainReport()
    expected_prev = GENESIS_HASH
    expected_seq = 1
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk_size):
        report.checked += 1
        if entry.seq != expected_seq:
            report.problems.append(f"序号 {expected_seq} 到 {entry.seq - 1} 的记录缺失（被删除）")
        if entry.prev_hash != expected_prev:
            report.problems.append(f"第 {entry.seq} 条记录与上一条记录的链接不符（前序记录被删除或篡改）")
        if hash_of_entry(entry) != entry.hash:
            report.problems.append(f"第 {entry.seq} 条记录的内容与其哈希不符（记录被篡改）")
        expected_prev = entry.hash
        expected_seq = entry.seq + 1
        if len(report.problems) >= max_problems:
            return report
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq != expected_seq - 1 or head.last_hash != expected_prev):
        report.problems.append(f"链头记录第 {head.seq} 条，但日志只到第 {expected_seq - 1} 条（末尾记录被删除）")
    return report
