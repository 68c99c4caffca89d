import { defineConfig } from 'tsup';

// Every plugin and host entry becomes a runnable ESM file under dist/.
export default defineConfig({
  entry: ['src/demo.ts', 'src/kv/*.ts', 'src/counter/*.ts', 'src/terraform/*.ts'],
  format: ['esm'],
  target: 'node20',
  clean: true,
  sourcemap: true,
  splitting: true,
});
