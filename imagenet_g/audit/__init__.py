"""Audit a release as data: label consistency (CLIP), FID/KID to real data and to each shift set, diversity,
safety and memorisation; compare two audits (see ``run_audit`` and ``compare_audits``).

``run_audit`` is imported on first use, so building and checking a request (``AuditRequest``,
``check_audit_request``) and reading and comparing audit JSONs never import torch.
"""

from typing import TYPE_CHECKING

from imagenet_g.audit.compare import Comparison, compare_audits, find_audit
from imagenet_g.audit.report import summary_rows
from imagenet_g.audit.request import AuditRequest, check_audit_request
from imagenet_g.audit.schema import AUDIT_SCHEMA_VERSION, AuditResult, read_audit

__all__ = ["AUDIT_SCHEMA_VERSION", "AuditRequest", "AuditResult", "Comparison", "check_audit_request",
           "compare_audits", "find_audit", "read_audit", "run_audit", "summary_rows"]


def __getattr__(name: str):
    if name == "run_audit":
        from imagenet_g.audit import run

        return run.run_audit
    raise AttributeError(f"module 'imagenet_g.audit' has no attribute {name!r}")


if TYPE_CHECKING:  # for type checkers and the API reference, which read the names above without importing them
    from imagenet_g.audit.run import run_audit
