"""Progress of a running job, written at most about once a second so a 3M-row export does
not turn into 3M UPDATEs."""

import time

from .models import ExportJob

INTERVAL_SECONDS = 1.0


class Progress:
    def __init__(self, job_id: int, total: int) -> None:
        self.job_id, self.total, self.done = job_id, total, 0
        self._last = time.monotonic()

    def __call__(self, rows: int) -> None:
        self.done += rows
        if time.monotonic() - self._last >= INTERVAL_SECONDS:
            self.flush()

    def percent(self) -> int:
        # 99 at most: 100 means the file is stored and downloadable.
        return min(99, self.done * 100 // self.total) if self.total else 0

    def flush(self) -> None:
        self._last = time.monotonic()
        ExportJob.objects.filter(pk=self.job_id).update(rows_done=self.done, progress=self.percent())
