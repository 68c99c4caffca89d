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
  // The kv plugins as one CommonJS file each, into dist-cjs/kv/*.cjs: what starts fastest on Node 20 (no ES module
  // loader, one file to read and compile; bench/boot.bench.ts). esbuild cannot split CommonJS, so the netrpc-only
  // plugin leaves the gRPC packages out (required from node_modules only if it ever served gRPC, which it cannot):
  // otherwise Node would parse grpc-js's ~1.4 MB at every start. No `clean`: both builds write the same folder.
  // bare-server.cjs is the benchmark's baseline bundled the same way.
  {
    entry: { 'kv/plugin-grpc': 'src/kv/plugin-grpc.ts', 'kv/plugin-netrpc': 'src/kv/plugin-netrpc.ts', 'kv/bare-server': 'src/kv/bare-server.ts' },
    outDir: 'dist-cjs',
    format: ['cjs'],
    target: 'node20',
    noExternal: [/.*/],
  },
  {
    entry: { 'kv/plugin-netrpc-only': 'src/kv/plugin-netrpc-only.ts' },
    outDir: 'dist-cjs',
    format: ['cjs'],
    target: 'node20',
    noExternal: [/^(?!@grpc\/grpc-js|@plugwire\/grpc-transport|@plugwire\/h2|@bufbuild\/protobuf)/],
    external: ['@grpc/grpc-js', '@plugwire/grpc-transport', '@plugwire/h2', /^@bufbuild\/protobuf/],
  },
]);
