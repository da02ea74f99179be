"""Where results live: the SQLite store of runs, scores and cache, and the one resolver of run
references (``latest``, ``previous``, a run id, a run folder, a ``summary.json``)."""
