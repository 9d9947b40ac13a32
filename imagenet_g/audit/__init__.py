"""Audit a release as data: label consistency (CLIP), FID/KID to real data and to each shift set, diversity,
safety and memorisation; compare two audits (see ``run_audit`` and ``compare_audits``).

``run_audit`` and ``AuditRequest`` are imported on first use, so reading and comparing audit JSONs never
imports torch.
"""

from imagenet_g.audit.compare import Comparison, compare_audits
from imagenet_g.audit.schema import AUDIT_SCHEMA_VERSION, AuditResult, read_audit

__all__ = ["AUDIT_SCHEMA_VERSION", "AuditRequest", "AuditResult", "Comparison", "compare_audits", "read_audit",
           "run_audit"]


def __getattr__(name: str):
    if name in ("AuditRequest", "run_audit"):
        from imagenet_g.audit import run

        return getattr(run, name)
    raise AttributeError(f"module 'imagenet_g.audit' has no attribute {name!r}")
