"""Running a suite: plan the work units, look them up in the cache, score the rest in batches on an
engine (this process, or a Ray cluster), store the scores as they come, show progress."""
