// go-plugin's Discover(glob, dir): the paths in dir matching a glob, as Go's filepath.Glob matches them
// (`*`, `?` and `[...]` within one path segment). Node 20 has no fs.glob, and this needs no library.
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) {
        re += '\\[';
        continue;
      }
      const body = segment.slice(i + 1, end).replace(/^\^/, '!');
      re += `[${body.startsWith('!') ? `^${body.slice(1)}` : body}]`;
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * The paths under `dir` matching `glob` (segments separated by `/`), sorted; like go-plugin's `Discover`. Hidden
 * entries match only a segment that starts with `.` itself.
 * @param glob - e.g. `*` or `*` + `/kv*`
 * @param dir - the directory to search
 */
export async function discoverPaths(glob: string, dir: string): Promise<string[]> {
  let paths = [dir];
  for (const segment of glob.split('/').filter((s) => s !== '')) {
    const next: string[] = [];
    if (!/[*?[]/.test(segment)) {
      for (const p of paths) next.push(join(p, segment));
    } else {
      const re = segmentRegExp(segment);
      for (const p of paths) {
        let names: string[];
        try {
          names = await readdir(p);
        } catch {
          continue;
        }
        for (const name of names) {
          if (name.startsWith('.') && !segment.startsWith('.')) continue;
          if (re.test(name)) next.push(join(p, name));
        }
      }
    }
    paths = next;
  }
  return paths.filter((p) => existsSync(p)).sort();
}
