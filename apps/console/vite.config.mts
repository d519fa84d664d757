import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Built into the coordinator's dist, which serves it at /console/. */
export default defineConfig({
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: {
    // The package's ES sources rather than its CommonJS build, so the bundle
    // keeps only what the console uses (a few constants and one function),
    // not zod and the Node-only signature code.
    alias: { '@accord/contracts': here('../../packages/contracts/src/index.ts') },
  },
  build: {
    outDir: here('../../dist/console'),
    emptyOutDir: true,
    // The policy forbids data: fonts and inline code; keep every asset a file.
    assetsInlineLimit: 0,
  },
});
