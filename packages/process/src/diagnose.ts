import { constants, openSync, readSync, closeSync, statSync, accessSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

// ELF e_machine values and the Node/Go names of the architectures they run on.
const ELF_MACHINES: Readonly<Record<number, { name: string; arch: string }>> = {
  3: { name: 'x86 (386)', arch: 'ia32' },
  8: { name: 'MIPS', arch: 'mips' },
  20: { name: 'PowerPC', arch: 'ppc' },
  21: { name: 'PowerPC 64 (ppc64)', arch: 'ppc64' },
  22: { name: 'IBM S/390 (s390x)', arch: 's390x' },
  40: { name: 'ARM (arm)', arch: 'arm' },
  62: { name: 'x86-64 (amd64)', arch: 'x64' },
  183: { name: 'AArch64 (arm64)', arch: 'arm64' },
  243: { name: 'RISC-V (riscv64)', arch: 'riscv64' },
  258: { name: 'LoongArch (loong64)', arch: 'loong64' },
};

/** Finds the file `command` runs, as a shell's PATH lookup would. */
export function resolveCommand(command: string, cwd: string | undefined, path: string | undefined): string | undefined {
  if (command.includes('/')) return isAbsolute(command) ? command : resolve(cwd ?? process.cwd(), command);
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = resolve(cwd ?? process.cwd(), join(dir, command));
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

function modeString(stats: Stats): string {
  const bits = 'rwxrwxrwx';
  let s = stats.isDirectory() ? 'd' : '-';
  for (let i = 0; i < 9; i++) s += stats.mode & (1 << (8 - i)) ? bits[i] : '-';
  return s;
}

function readHead(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64);
    const n = readSync(fd, buf, 0, 64, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function formatNote(head: Buffer): string | undefined {
  if (head.length >= 20 && head[0] === 0x7f && head.toString('latin1', 1, 4) === 'ELF') {
    const machine = head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
    const known = ELF_MACHINES[machine];
    const name = known?.name ?? `unknown machine ${machine}`;
    const note = `ELF architecture: ${name} (current architecture: ${process.arch})`;
    return known?.arch === process.arch ? note : `${note}; this binary was built for another architecture, rebuild it for ${process.arch}`;
  }
  if (head.length >= 4) {
    const magic = head.readUInt32BE(0);
    if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) {
      return `Mach-O binary (macOS); it cannot run on ${process.platform}`;
    }
  }
  if (head.length >= 2 && head.toString('latin1', 0, 2) === 'MZ') return `PE binary (Windows); it cannot run on ${process.platform}`;
  if (head.length >= 2 && head.toString('latin1', 0, 2) === '#!') {
    return `script with interpreter ${head.toString('latin1', 2).split('\n')[0]?.trim() ?? ''}`;
  }
  return 'not an executable format this system recognises (no ELF header or #! line)';
}

/**
 * Facts about the plugin file for an error message, as go-plugin's `Diagnose` lists them: path, mode, owner,
 * whether this process may execute it, and the binary's architecture. Never throws.
 * @param command - the command as given to launch
 * @param cwd - its working directory
 * @param path - the PATH used to look it up
 */
export function pluginFileNotes(command: string, cwd: string | undefined, path: string | undefined): string[] {
  const file = resolveCommand(command, cwd, path);
  if (file === undefined) return [`Path: ${command} was not found in PATH`];
  const notes = [`Path: ${file}`];
  try {
    const stats = statSync(file);
    notes.push(`Mode: ${modeString(stats)}`);
    const uid = process.getuid?.();
    const gid = process.getgid?.();
    notes.push(`Owner: ${stats.uid} (current: ${uid ?? 'unknown'})`, `Group: ${stats.gid} (current: ${gid ?? 'unknown'})`);
    if (!stats.isFile()) {
      notes.push('it is not a regular file');
      return notes;
    }
    try {
      accessSync(file, constants.X_OK);
    } catch {
      notes.push('this process may not execute it: make it executable (chmod +x)');
    }
    const format = formatNote(readHead(file));
    if (format !== undefined) notes.push(format);
  } catch (err) {
    notes.push(`cannot inspect it: ${(err as Error).message}`);
  }
  return notes;
}
