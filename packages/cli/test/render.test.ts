// The terminal output: step lines with spinner and colour on a TTY, plain lines otherwise.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { printVerdict, stepPrinter } from '../src/render.js';
import type { DoctorReport } from '../src/doctor.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, out: { write: (t: string) => void chunks.push(t), isTTY } };
}

const step = { id: 'start', title: 'launch', status: 'ok' as const, ms: 12.5, details: ['pid 1'] };

describe('stepPrinter', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  it('plain output: no escape codes, no spinner', () => {
    const { chunks, out } = sink(false);
    const p = stepPrinter(out);
    p.begin('launch');
    p.end(step);
    p.stop();
    expect(chunks.join('')).toBe('✓ launch (12.5 ms)\n    pid 1\n');
  });

  it('on a TTY: a spinner while the step runs, cleared before the coloured step line', () => {
    vi.useFakeTimers();
    vi.stubEnv('NO_COLOR', undefined);
    const { chunks, out } = sink(true);
    const p = stepPrinter(out);
    p.begin('launch');
    vi.advanceTimersByTime(250);
    const spinning = chunks.join('');
    expect(spinning).toContain('⠋ launch…');
    expect(spinning).toContain('⠙ launch…');
    p.end(step);
    const all = chunks.join('');
    expect(all).toContain('\r\u001b[2K\u001b[32m✓\u001b[0m \u001b[1mlaunch\u001b[0m');
    const count = chunks.length;
    vi.advanceTimersByTime(500);
    expect(chunks.length).toBe(count);
    p.stop();
  });

  it('NO_COLOR turns colour off on a TTY', () => {
    vi.stubEnv('NO_COLOR', '1');
    const { chunks, out } = sink(true);
    const p = stepPrinter(out);
    p.end(step);
    expect(chunks.join('')).not.toContain('\u001b[32m');
  });
});

describe('printVerdict', () => {
  it('names the cause, the fix and what a host sees', () => {
    const { chunks, out } = sink(false);
    const report = {
      ok: false,
      diagnosis: { cause: 'timeout', problem: 'no handshake line', fix: 'raise --timeout', hostSees: 'timeout while waiting for plugin to start' },
    } as DoctorReport;
    printVerdict(report, out);
    expect(chunks.join('')).toBe(
      '\nPROBLEM (timeout): no handshake line\nFIX: raise --timeout\nA go-plugin host reports:\n  timeout while waiting for plugin to start\n',
    );
  });
});
