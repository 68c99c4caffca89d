import { defineConfig } from 'tsup';

export default defineConfig([
  // Every plugin and host entry becomes a runnable ESM file under dist/.
  {
    entry: ['src/demo.ts', 'src/kv/*.ts', 'src/counter/*.ts', 'src/terraform/*.ts'],
    format: ['esm'],
    target: 'node20',
    clean: true,
    sourcemap: true,
    splitting: true,
  },
  // The kv plugins again, bundled with everything they import (plugwire, grpc-js) into dist-bundled/kv/ (its own
  // folder: the build above cleans dist/ while this one runs): what a plugin author can ship to start faster. Fewer
  // modules to resolve and link, and the host-only code of @plugwire/plugin tree-shaken away: less start-up time
  // and idle RSS (bench/bundle.bench.ts). The gRPC half stays in its own chunk, so a netrpc-only plugin never parses
  // it; CommonJS dependencies (grpc-js) get a real `require` from the banner.
  {
    entry: { 'kv/plugin-grpc': 'src/kv/plugin-grpc.ts', 'kv/plugin-netrpc': 'src/kv/plugin-netrpc.ts', 'kv/plugin-netrpc-only': 'src/kv/plugin-netrpc-only.ts' },
    outDir: 'dist-bundled',
    clean: true,
    format: ['esm'],
    target: 'node20',
    splitting: true,
    noExternal: [/.*/],
    banner: { js: "import { createRequire as __plugwireCreateRequire } from 'node:module'; const require = __plugwireCreateRequire(import.meta.url);" },
  },
]);
