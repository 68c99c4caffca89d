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

/**
 * Sequential Gets every latency figure waits out first, on every side alike (TS and Go hosts; passed to the Go hosts
 * as `H2BENCH_WARMUP`/`EXBENCH_WARMUP`). A Node side reaches its steady state only after a few thousand calls (V8
 * tiering up the hot path, the heap growing from its start-up size with a few major GCs); Go needs none. Measured on
 * an idle machine, Go host → TS gRPC plugin: p99 0.25–1.4 ms after 500 warm-up Gets, 0.15–0.22 ms after 20 000 (Go
 * plugin: 0.15–0.28 ms either way).
 */
export const WARMUP_CALLS = 20000;

/** The environment that gives the Go bench hosts (h2bench, exbench) the same warm-up. */
export const GO_WARMUP_ENV = { H2BENCH_WARMUP: String(WARMUP_CALLS), EXBENCH_WARMUP: String(WARMUP_CALLS) };
