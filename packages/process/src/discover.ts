import { readdir } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { PluginError } from '@plugwire/core';

/** Go's filepath.Match for one path segment: `*`, `?`, `[...]` / `[^...]` classes and `\` escapes. */
function segmentRegExp(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) out += `\\${pattern[++i]}`;
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) throw new PluginError('invalid_argument', `discover: syntax error in pattern ${JSON.stringify(pattern)} (unclosed [)`);
      let body = pattern.slice(i + 1, close);
      if (body.startsWith('^')) body = `^${body.slice(1).replace(/[\]\\]/g, '\\$&')}`;
      else body = body.replace(/[\]\\^]/g, '\\$&');
      out += `[${body}]`;
      i = close;
    } else out += c.replace(/[.+^${}()|]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}

const hasMeta = (segment: string): boolean => /[*?[\\]/.test(segment);

/**
 * Finds plugin executables as go-plugin's `Discover(glob, dir)` does: the absolute paths of the files matching
 * `glob` (Go `filepath.Match` syntax, which may span directories: `*\/plugin-*`) below `dir`, sorted. A missing
 * directory matches nothing.
 * ```ts
 * for (const path of await discover('kv-plugin-*', './plugins')) console.log(path);
 * ```
 * @param glob - the pattern, relative to `dir`
 * @param dir - where to look @default the current directory
 * @throws PluginError `invalid_argument` for a malformed pattern
 */
export async function discover(glob: string, dir = '.'): Promise<string[]> {
  if (typeof glob !== 'string' || glob === '') throw new PluginError('invalid_argument', 'discover needs a glob such as "plugin-*"');
  const base = resolve(dir);
  const segments = (isAbsolute(glob) ? glob.slice(1) : glob).split('/').filter((s) => s !== '');
  let found = [isAbsolute(glob) ? '/' : base];
  for (const segment of segments) {
    const next: string[] = [];
    const match = hasMeta(segment) ? segmentRegExp(segment) : undefined;
    for (const parent of found) {
      if (!match) {
        next.push(join(parent, segment));
        continue;
      }
      let names: string[];
      try {
        names = await readdir(parent);
      } catch {
        continue; // not a directory, or gone: Go's Glob ignores it too
      }
      for (const name of names) if (match.test(name)) next.push(join(parent, name));
    }
    found = next;
  }
  const { stat } = await import('node:fs/promises');
  const existing: string[] = [];
  for (const path of found) {
    try {
      await stat(path);
      existing.push(path);
    } catch {
      // a literal segment that does not exist
    }
  }
  return existing.sort();
}
