import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev` serves the viewer on its own port and sends the API paths to a running orchestrator.
const orchestrator = process.env.ORCHESTRATOR_URL ?? 'http://127.0.0.1:8080';
const API_PATHS = [
  '/sagas',
  '/saga-definitions',
  '/saga-counts',
  '/orders',
  '/products',
  '/events',
  '/dlq',
  '/healthz',
];

export default defineConfig({
  base: '/ui/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: Object.fromEntries(API_PATHS.map((path) => [path, { target: orchestrator, changeOrigin: true }])) },
});
