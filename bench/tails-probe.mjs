// Preloaded into a TS plugin by bench/tails.bench.ts (`node --import ./bench/tails-probe.mjs plugin.js`) when a Go
// host measures it: at exit the plugin process writes to $PLUGWIRE_TAILS_OUT its GC pauses (PerformanceObserver
// 'gc'), its main thread's CPU time and run-queue wait (/proc/self/task/<pid>/schedstat, Linux) as JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';

const out = process.env.PLUGWIRE_TAILS_OUT;
if (out) {
  const gc = { scavenges: 0, majors: 0, gcMs: 0, maxGcMs: 0, maxScavengeMs: 0 };
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.detail?.kind === 1) {
        gc.scavenges++;
        gc.maxScavengeMs = Math.max(gc.maxScavengeMs, e.duration);
      } else gc.majors++;
      gc.gcMs += e.duration;
      gc.maxGcMs = Math.max(gc.maxGcMs, e.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  const sched = () => readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
  const s0 = sched();
  const t0 = performance.now();
  process.on('exit', () => {
    const s1 = sched();
    writeFileSync(out, JSON.stringify({ ...gc, wallMs: performance.now() - t0, runMs: (s1[0] - s0[0]) / 1e6, waitMs: (s1[1] - s0[1]) / 1e6 }));
  });
}
