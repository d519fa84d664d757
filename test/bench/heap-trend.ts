/**
 * The soak's verdict on the coordinator's heap (soak.ts), apart from the
 * driver so that it is checked without a coordinator.
 */

/** One window of the soak that saw a major GC: transactions done at its end, and the lowest heap read during it. */
export interface HeapWindow {
  done: number;
  floorMb: number;
}

export interface HeapTrend {
  /** Least-squares slope of the floor over the windows of the run's second half. */
  slopeMbPer100k: number;
  /** The slope's standard error: how far the windows' scatter leaves it uncertain. */
  slopeErrorMbPer100k: number;
  firstFloorMb: number;
  lastFloorMb: number;
  /** The slope carried over the whole run, as a share of the second half's mean floor. */
  growthShare: number;
  flat: boolean;
}

/**
 * A heap whose floor, at the second half's slope, would rise by less than
 * this share of itself over the run's length is flat. Relative, because a
 * healthy floor wanders by a few per cent (where the major GCs fall, caches
 * filling to their bounds) whatever its size; over the run's length, because
 * a leak costs some bytes per transaction: a longer run sees a smaller one
 * (with a 60 MB floor, 3 MB over a million transactions is 3 bytes each).
 */
export const FLAT_SHARE = 0.05;

/** The run's first half is warm-up (JIT, pools, caches filling): only the second half's trend counts. */
export function heapTrend(windows: HeapWindow[], transactions: number): HeapTrend {
  const settled = windows.filter((w) => w.done > transactions / 2);
  if (settled.length < 2) throw new Error(`a heap trend needs at least 2 windows with a floor in the run's second half (a longer run has more), got ${settled.length}`);
  const meanDone = settled.reduce((sum, w) => sum + w.done, 0) / settled.length;
  const meanFloor = settled.reduce((sum, w) => sum + w.floorMb, 0) / settled.length;
  const covariance = settled.reduce((sum, w) => sum + (w.done - meanDone) * (w.floorMb - meanFloor), 0);
  const variance = settled.reduce((sum, w) => sum + (w.done - meanDone) ** 2, 0);
  const slopePerTransaction = covariance / variance;
  const residuals = settled.reduce((sum, w) => sum + (w.floorMb - meanFloor - slopePerTransaction * (w.done - meanDone)) ** 2, 0);
  const slopeError = settled.length > 2 ? Math.sqrt(residuals / (settled.length - 2) / variance) : Number.NaN;
  const growthShare = (slopePerTransaction * transactions) / meanFloor;
  return {
    slopeMbPer100k: slopePerTransaction * 100_000,
    slopeErrorMbPer100k: slopeError * 100_000,
    firstFloorMb: windows[0].floorMb,
    lastFloorMb: windows[windows.length - 1].floorMb,
    growthShare,
    flat: growthShare < FLAT_SHARE,
  };
}
