"""Audit a release as data: label consistency (CLIP), FID/KID to real data and to each shift set, diversity,
safety and memorisation; compare two audits (see ``run_audit`` and ``compare_audits``).

The names below are loaded on first use, so that building and checking a request (``AuditRequest``,
``check_audit_request``) imports no torch, and reading and comparing audit JSONs imports neither torch nor numpy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imagenet_g.lazy import lazy_exports

if TYPE_CHECKING:
    from imagenet_g.audit.compare import Comparison, compare_audits, find_audit
    from imagenet_g.audit.report import summary_rows
    from imagenet_g.audit.request import AuditRequest, check_audit_request
    from imagenet_g.audit.run import run_audit
    from imagenet_g.audit.schema import AUDIT_SCHEMA_VERSION, AuditResult, read_audit

_HOMES = {
    "Comparison": "compare",
    "compare_audits": "compare",
    "find_audit": "compare",
    "summary_rows": "report",
    "AuditRequest": "request",
    "check_audit_request": "request",
    "run_audit": "run",
    "AUDIT_SCHEMA_VERSION": "schema",
    "AuditResult": "schema",
    "read_audit": "schema",
}

__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
