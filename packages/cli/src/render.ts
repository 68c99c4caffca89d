// Terminal output: step lines with a spinner and colour on a TTY, plain lines otherwise.
import type { DoctorReport, DoctorReporter, Step } from './doctor.js';

/** Where output goes and whether it is a terminal. */
export interface Output {
  /** Writes text. */
  write(text: string): void;
  /** Whether it is a TTY (spinner and colour). */
  isTTY: boolean;
}

const CODES = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1 } as const;

/** Paints text on a TTY (unless NO_COLOR is set); plain otherwise. */
export function painter(out: Output): (colour: keyof typeof CODES, text: string) => string {
  const on = out.isTTY && process.env.NO_COLOR === undefined;
  return (colour, text) => (on ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text);
}

const MARKS = { ok: ['✓', 'green'], warn: ['!', 'yellow'], fail: ['✗', 'red'], skip: ['-', 'dim'] } as const;
const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Prints doctor steps as they end; on a TTY a spinner shows the running step.
 * @param out - where to print
 */
export function stepPrinter(out: Output): DoctorReporter & { stop(): void } {
  const paint = painter(out);
  let timer: NodeJS.Timeout | undefined;
  let spinning = false;
  const clear = (): void => {
    clearInterval(timer);
    timer = undefined;
    if (spinning) out.write('\r\u001b[2K');
    spinning = false;
  };
  return {
    begin(title) {
      if (!out.isTTY) return;
      clear();
      let i = 0;
      const draw = (): void => {
        out.write(`\r\u001b[2K${paint('dim', `${FRAMES[i++ % FRAMES.length]} ${title}…`)}`);
      };
      spinning = true;
      draw();
      timer = setInterval(draw, 80);
    },
    end(step: Step) {
      clear();
      const [mark, colour] = MARKS[step.status];
      const ms = step.ms > 0 ? paint('dim', ` (${step.ms} ms)`) : '';
      out.write(`${paint(colour, mark)} ${paint('bold', step.title)}${ms}\n`);
      for (const d of step.details) out.write(`    ${d}\n`);
    },
    stop: clear,
  };
}

/** The closing lines: verdict, and the cause with its fix. */
export function printVerdict(report: DoctorReport, out: Output): void {
  const paint = painter(out);
  out.write('\n');
  if (report.ok) {
    out.write(`${paint('green', 'OK')}: a go-plugin host with these options can load this plugin.\n`);
    return;
  }
  const d = report.diagnosis;
  if (d === undefined) {
    out.write(`${paint('red', 'FAILED')}: see the steps marked ✗ above.\n`);
    return;
  }
  out.write(`${paint('red', 'PROBLEM')} (${d.cause}): ${d.problem}\n`);
  out.write(`${paint('bold', 'FIX')}: ${d.fix}\n`);
  if (d.hostSees !== undefined && d.hostSees !== '') {
    out.write(`${paint('dim', 'A go-plugin host reports:')}\n${d.hostSees.split('\n').map((l) => `  ${l}`).join('\n')}\n`);
  }
}
