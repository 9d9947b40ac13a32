"""One PNG per release for the markdown README: accuracy on each shift set against its control.

Drawn with matplotlib's Agg canvas (no pyplot state, no display needed) without the version stamp in the
PNG metadata, so the same board gives the same bytes.
"""

from __future__ import annotations

import io

import numpy as np

from imagenet_g.leaderboard.board import Entry, Leaderboard, ReleaseBoard
from imagenet_g.results import BaselineFit

# Okabe-Ito palette, as on the page
_COLORS = {"real": "#0072B2", "generated": "#D55E00", "real+generated": "#009E73", "more data": "#CC79A7",
          "other": "#E69F00"}


def render_plot(board: Leaderboard, release: ReleaseBoard) -> bytes:
    """The PNG bytes of the release's figure: one panel per shift set."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    shifts = board.shifts
    cols = 3
    rows = -(-len(shifts) // cols)
    fig = Figure(figsize=(4.2 * cols, 3.9 * rows), dpi=80)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.08, top=0.91, wspace=0.24, hspace=0.32)  # fixed: fast
    for i, shift in enumerate(shifts):
        _panel(fig.add_subplot(rows, cols, i + 1), board, release, shift)
    fig.suptitle(f"Release {release.version}: top-1 on each shift set vs its control (grey: published rows; "
                 f"coloured: submissions; line: linear baseline fit, dashed where extrapolated)", fontsize=10)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _points(entries: list[Entry], control: str, shift: str) -> tuple[np.ndarray, np.ndarray]:
    pts = [(e.top1[control], e.top1[shift]) for e in entries if control in e.top1 and shift in e.top1]
    return (np.array([p[0] for p in pts]), np.array([p[1] for p in pts])) if pts else (np.zeros(0), np.zeros(0))


def _panel(ax, board: Leaderboard, release: ReleaseBoard, shift: str) -> None:
    fit: BaselineFit = release.fits[shift]
    control = fit.control
    px, py = _points(board.published, control, shift)
    ax.scatter(px, py, s=4, c="#b8bec9", linewidths=0, rasterized=True, label="published")
    ref = board.reference.get(shift)
    if ref:
        ax.scatter([p.x for p in ref.points], [p.y for p in ref.points], s=12, facecolors="none",
                   edgecolors="#59606d", linewidths=0.7, label="baseline (testbed STANDARD)")
    for category, color in _COLORS.items():
        sx, sy = _points([e for e in release.entries if e.category == category], control, shift)
        if len(sx):
            ax.scatter(sx, sy, s=30, c=color, edgecolors="white", linewidths=0.6, zorder=3, label=category)
    sx, sy = _points(release.entries, control, shift)
    xs, ys = np.concatenate([px, sx]), np.concatenate([py, sy])
    # the window where rows can be ranked: the baseline range widened by the rank's extrapolation limit
    margin = max((r.max_outside for r in board.ranks), default=0.0)
    lo = max(0.0, fit.x_range[0] - margin) if fit.x_range else (float(xs.min()) if len(xs) else 0.0)
    hi = min(100.0, max([*(fit.x_range or [0.0]), *xs.tolist()]) + 1) if len(xs) or fit.x_range else 100.0
    line = fit.lines.get("linear")
    if line and fit.x_range:
        inside = np.linspace(*fit.x_range, 50)
        ax.plot(inside, line.slope * inside + line.intercept, color="#222", linewidth=1.1, label="linear fit")
        for a, b in ((lo, fit.x_range[0]), (fit.x_range[1], hi)):
            ax.plot([a, b], [line.slope * a + line.intercept, line.slope * b + line.intercept], color="#222",
                    linewidth=0.9, linestyle="--")
    ax.plot([0, 100], [0, 100], color="#c3c9d3", linewidth=0.8, linestyle=":")
    in_window = ys[(xs >= lo) & (xs <= hi)]
    ax.set_xlim(lo, hi)
    ax.set_ylim(0.0, min(100.0, float(in_window.max()) + 3) if len(in_window) else 100.0)
    ax.set_xlabel(f"{board.labels[control]} top-1 (%)", fontsize=8)
    ax.set_ylabel(f"{board.labels[shift]} top-1 (%)", fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(color="#eef0f4", linewidth=0.6)
    title = board.labels[shift] if line else f"{board.labels[shift]} ({fit.status})"
    ax.set_title(title, fontsize=9)
    if shift == board.shifts[0]:
        ax.legend(fontsize=6, loc="upper left", frameon=False)
