/**
 * The goals a benchmark metric can be held to. A module of its own, with no imports, so
 * that the workload modules can use them although the registry (_bench_workloads.ts)
 * imports those modules.
 *
 * @module
 */

/** A goal printed next to a metric. */
export interface Goal {
  /** How the goal reads in the table, e.g. "< 150 ms" or ">= peer". */
  text: string;
  /** Whether our figure meets it; undefined when it cannot be judged (e.g. no peer). */
  met(ours: number, peer: number | undefined): boolean | undefined;
}

/** Our figure must be below `limit`. */
export function below(limit: number, unit: string): Goal {
  return { text: `< ${limit} ${unit}`, met: (ours) => ours < limit };
}

/** Our figure must be at least the peer's. */
export const atLeastPeer: Goal = {
  text: ">= peer",
  met: (ours, peer) => (peer === undefined ? undefined : ours >= peer),
};

/** Our figure must be below the peer's. */
export const belowPeer: Goal = {
  text: "< peer",
  met: (ours, peer) => (peer === undefined ? undefined : ours < peer),
};
