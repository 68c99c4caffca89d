/** One section of `npm run bench`: a titled table, also printed as JSON. */
export interface BenchSection {
  /** What was measured, e.g. "yamux: 64 MiB over one stream". */
  readonly title: string;
  /** Baselines and targets the issue names, printed under the table. */
  readonly notes?: readonly string[];
  /** One row per configuration, same keys in every row. */
  readonly rows: ReadonlyArray<Record<string, string | number>>;
}
