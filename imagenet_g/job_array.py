"""Static job arrays (Slurm and the like, without Ray): job ``index`` of ``count`` takes every ``count``-th unit of
work, counted in the full plan, so every job agrees on who does what whatever is already done."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from imagenet_g.errors import ImagenetGError

T = TypeVar("T")


@dataclass(frozen=True)
class Share:
    """Job ``index`` of ``count`` in a job array (0-based, like ``$SLURM_ARRAY_TASK_ID``)."""

    index: int
    count: int

    def check(self, planned: int | None = None, units: str = "units of work") -> None:
        """Raise when the job numbers cannot split ``planned`` units of work (``units`` names them; ``planned``
        None: not planned yet, the numbers alone)."""
        if self.count < 1:
            raise ImagenetGError(f"a job array needs at least 1 job (got {self.count})", "set {num_jobs} to 1 or more")
        if not 0 <= self.index < self.count:
            raise ImagenetGError(
                f"job index {self.index} is out of range for {self.count} jobs", f"set {{job_index}} to 0..{self.count - 1}"
            )
        if planned is not None and self.count > planned:
            raise ImagenetGError(
                f"{self.count} jobs are more than the {planned} {units}", f"set {{num_jobs}} to at most {planned}"
            )

    def owns(self, position: int) -> bool:
        """Whether the unit at ``position`` of the full plan is this job's."""
        return position % self.count == self.index

    def take(self, planned: Sequence[T]) -> list[T]:
        """This job's units of the full plan, in order."""
        return [item for k, item in enumerate(planned) if self.owns(k)]
