import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import every @plugwire package from its TypeScript source, so a unit test never needs a build.
// Subprocess fixtures (plugins launched with `node`) use the built packages; `npm test` builds first.
const packagesDir = fileURLToPath(new URL('./packages/', import.meta.url));
// Subpath exports (`@plugwire/plugin/grpc`) map to `src/<subpath>.ts`.
const alias = [
  { find: /^@plugwire\/([^/]+)\/([^/]+)$/, replacement: `${packagesDir}$1/src/$2.ts` },
  ...readdirSync(packagesDir).map((name) => ({ find: `@plugwire/${name}`, replacement: `${packagesDir}${name}/src/index.ts` })),
];

export default defineConfig({
  resolve: { alias },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'examples/test/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    // CI runs ~770 process-level tests on three Node versions on a shared 2-core machine: a test that fails once is
    // run once more there (a real failure fails twice), and the JSON report still records the retry.
    retry: process.env.CI ? 1 : 0,
    hookTimeout: 240_000,
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: 'test-results.json' },
  },
});
