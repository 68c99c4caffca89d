/** A measured ratio with the target it is held to, printed under its section and carried in the JSON. */
export interface BenchRatio {
  /** What is compared, e.g. "TS host → Go plugin calls/s (16 in flight) ÷ Go host's". */
  readonly name: string;
  /** The measured ratio. */
  readonly value: number;
  /** The target. */
  readonly target: number;
  /** `higher`: met when value ≥ target; `lower`: met when value ≤ target. */
  readonly better: 'higher' | 'lower';
}

/** One section of `npm run bench`: a titled table, also printed as JSON. */
export interface BenchSection {
  /** What was measured, e.g. "yamux: 64 MiB over one stream". */
  readonly title: string;
  /** Baselines and targets the issue names, printed under the table. */
  readonly notes?: readonly string[];
  /** One row per configuration, same keys in every row. */
  readonly rows: ReadonlyArray<Record<string, string | number>>;
  /** Ratios against targets; `npm run bench` prints each with its target and whether it is met. */
  readonly ratios?: readonly BenchRatio[];
}
