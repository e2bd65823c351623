import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

// The SPA is served by Django under /static/app/; Django's shell template reads
// static/app/.vite/manifest.json to find the entry (src/main.tsx) and its CSS.
// The dev server proxies /api, /ws, /hooks and /login to a running Django (`make run`); there is no
// mock API: the only description of the API is its OpenAPI schema (src/api/schema.d.ts).
const backend = process.env.FB_BACKEND ?? 'http://127.0.0.1:8000';
const proxy = {
  '/api': backend,
  '/hooks': backend,
  '/login': backend,
  '/ws': { target: backend.replace(/^http/, 'ws'), ws: true },
};

export default defineConfig({
  base: '/static/app/',
  plugins: [react()],
  resolve: {
    // Keep ajv (code generation => CSP 'unsafe-eval') out of the bundle; see src/editor/rjsfValidator.ts.
    alias: { '@rjsf/validator-ajv8': fileURLToPath(new URL('./src/editor/ajvStub.ts', import.meta.url)) },
  },
  build: {
    outDir: '../static/app',
    emptyOutDir: true,
    manifest: true,
    sourcemap: false,
    chunkSizeWarningLimit: 1500,
    modulePreload: { polyfill: false },
    rollupOptions: { input: 'src/main.tsx' },
  },
  server: { port: 5173, proxy },
  preview: { port: 4173, proxy },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
