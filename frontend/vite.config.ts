import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { mockApi } from './dev/mockApi.ts';

// The SPA is served by Django under /static/app/; Django's shell template reads
// static/app/.vite/manifest.json to find the entry (src/main.tsx) and its CSS.
// FB_MOCK=1 (dev/preview only) serves an in-memory fake of docs/api.md; otherwise /api and /ws
// are proxied to the Django server on 127.0.0.1:8000.
const useMock = process.env.FB_MOCK === '1';
const backend = process.env.FB_BACKEND ?? 'http://127.0.0.1:8000';
const proxy = useMock
  ? undefined
  : {
      '/api': backend,
      '/hooks': backend,
      '/login': backend,
      '/ws': { target: backend.replace(/^http/, 'ws'), ws: true },
    };

export default defineConfig({
  base: '/static/app/',
  plugins: [react(), ...(useMock ? [mockApi()] : [])],
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
