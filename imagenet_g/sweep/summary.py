"""The sweep's summary: one row per model, as timm's results CSVs have it (model, top-1/top-5, parameter count,
image size, crop, interpolation), with a top-1/top-5 pair per dataset and the linear ER per shift set.

Written as CSV (rounded as timm rounds: 3 decimals, parameters in millions), parquet (values as in the results
files) and a markdown view. Every value comes from the results files and the model records; the summary can
always be written again from them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from imagenet_g.benchmarks import BENCHMARKS
from imagenet_g.files import atomic_path, atomic_write_text, turn_to_write
from imagenet_g.results import EvalResult
from imagenet_g.sweep.folder import SUMMARY_STEM, ModelRecord, read_records, results_path
from imagenet_g.sweep.model_sets import ModelEntry

_FIXED_COLUMNS = ("model", "status", "standard", "param_count", "img_size", "crop_pct", "interpolation")
_TAIL_COLUMNS = ("reason", "results_file")
_SUMMARY_FILES = tuple(f"{SUMMARY_STEM}.{ext}" for ext in ("csv", "parquet", "md"))


@dataclass(frozen=True)
class Summary:
    """The summary table: column names and one dict per model (None where a value is not known)."""

    columns: tuple[str, ...]
    rows: tuple[dict[str, object], ...]
    datasets: tuple[str, ...]
    shifts: tuple[str, ...]


def _status(entry: ModelEntry, record: ModelRecord | None, result: EvalResult | None) -> str:
    if not entry.available:
        return "unavailable"
    if record is None:
        return "pending"
    if record.status == "scored" and (result is None or not result.complete):
        return "pending"  # its results file went missing or was replaced since
    return record.status


def _read(out_dir: Path, model_id: str) -> EvalResult | None:
    try:
        return EvalResult.read(results_path(out_dir, model_id))
    except (OSError, ValueError):
        return None


def _build_summary(out_dir: Path, entries: Sequence[ModelEntry], records: dict[str, ModelRecord]) -> Summary:
    """The summary of ``entries`` from their records and the results files in ``out_dir``."""
    results = {e.id: _read(out_dir, e.id) for e in entries if e.available and e.id in records}
    order = list(BENCHMARKS)
    present = {name for r in results.values() if r for name in r.datasets}
    datasets = tuple(sorted(present, key=lambda n: (order.index(n) if n in order else len(order), n)))
    shift_names = {s for r in results.values() if r for s in r.effective_robustness}
    shifts = tuple(d for d in datasets if d in shift_names)
    columns = (*_FIXED_COLUMNS, *(f"{d}_{k}" for d in datasets for k in ("top1", "top5")),
               *(f"{s}_er" for s in shifts), *_TAIL_COLUMNS)
    rows = []
    for entry in entries:
        record, result = records.get(entry.id), results.get(entry.id)
        status = _status(entry, record, result)
        preprocess = result.model.preprocess if result is not None else {}
        size = record.input_size if record is not None else None
        row: dict[str, object] = dict.fromkeys(columns)
        row.update(
            model=entry.id, status=status, standard=entry.standard,
            param_count=record.parameters if record is not None else None,
            img_size=size[-1] if size else None, crop_pct=preprocess.get("crop_pct"),
            interpolation=preprocess.get("interpolation"),
            reason=entry.reason if status == "unavailable" else (record.reason if record is not None else None),
            results_file=results_path(out_dir, entry.id).name if result is not None else None,
        )
        if result is not None and status == "scored":
            for name, d in result.datasets.items():
                row[f"{name}_top1"], row[f"{name}_top5"] = d.top1, d.top5
            for shift, er in result.effective_robustness.items():
                row[f"{shift}_er"] = next(f.er for f in er.fits if f.axis == "linear")
        rows.append(row)
    return Summary(columns, tuple(rows), datasets, shifts)


def _cell(column: str, value: object) -> object:
    """A value as the CSV writes it: floats to 3 decimals, parameters in millions (timm's results CSVs)."""
    if value is None:
        return ""
    if column == "param_count":
        return round(int(value) / 1e6, 2)
    if isinstance(value, float):
        return round(value, 3)
    return value


def _summary_csv(summary: Summary) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(summary.columns)
    for row in summary.rows:
        writer.writerow([_cell(c, row[c]) for c in summary.columns])
    return buffer.getvalue()


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _summary_markdown(summary: Summary, release: str) -> str:
    """A markdown view: one row per model, top-1 per dataset and ER per shift set; the reasons below."""
    head = ["Model", "Status", "Params (M)", "Size", *(f"{d} top-1" for d in summary.datasets),
            *(f"{s} ER" for s in summary.shifts)]
    lines = [f"# Sweep of release {_md(release)}", "",
             "Top-1 in percent; ER: linear effective robustness in percentage points (eval's baselines).", "",
             "| " + " | ".join(head) + " |", "|" + "|".join(["---", "---"] + ["---:"] * (len(head) - 2)) + "|"]
    for row in summary.rows:
        cells = [_md(row["model"]) + (" (standard)" if row["standard"] else ""), str(row["status"]),
                 str(_cell("param_count", row["param_count"]) or "–"), str(row["img_size"] or "–")]
        cells += [f"{row[f'{d}_top1']:.2f}" if row[f"{d}_top1"] is not None else "–" for d in summary.datasets]
        cells += [f"{row[f'{s}_er']:+.2f}" if row[f"{s}_er"] is not None else "–" for s in summary.shifts]
        lines.append("| " + " | ".join(cells) + " |")
    statuses = ("scored", "failed", "pending", "unavailable")
    counts = {s: sum(1 for r in summary.rows if r["status"] == s) for s in statuses}
    lines += ["", ", ".join(f"{n} {s}" for s, n in counts.items() if n) + ".", ""]
    notes = [f"- {_md(r['model'])} ({r['status']}): {_md(r['reason'])}" for r in summary.rows if r["reason"]]
    if notes:
        lines += ["Not scored:", "", *notes, ""]
    return "\n".join(lines)


def write_summary(out_dir: Path, entries: Sequence[ModelEntry], release: str) -> Summary:
    """Write summary.csv, .parquet and .md of ``entries`` from what the folder holds now. The jobs of an array
    take turns, each reading the records inside its turn, so the last to write has seen every job's models."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    out_dir = Path(out_dir)
    paths = tuple(out_dir / name for name in _SUMMARY_FILES)
    with turn_to_write(paths[0]):
        summary = _build_summary(out_dir, entries, read_records(out_dir, [e.id for e in entries]))
        atomic_write_text(paths[0], _summary_csv(summary))
        columns = {c: [row[c] for row in summary.rows] for c in summary.columns}
        types = {c: pa.int64() if c in ("param_count", "img_size") else pa.bool_() if c == "standard"
                 else pa.float64() if c.endswith(("_top1", "_top5", "_er")) or c == "crop_pct" else pa.string()
                 for c in summary.columns}
        table = pa.table({c: pa.array(values, types[c]) for c, values in columns.items()})
        with atomic_path(paths[1]) as tmp:
            pq.write_table(table, tmp)
        atomic_write_text(paths[2], _summary_markdown(summary, release))
    return summary
