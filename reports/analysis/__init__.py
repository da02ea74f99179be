"""Every number a report or gate shows, as pure functions over per-item scores: statistics,
paired comparisons, aggregation, gates, baseline comparisons, calibration and judge agreement."""
