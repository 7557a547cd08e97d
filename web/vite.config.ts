// The web UI (web/), built into dist/web, which the API process serves at / (src/api/web.ts).
// `npm run web:dev` serves it with hot reload and forwards API calls to a server on :8080.
import { defineConfig } from 'vite';

const api = process.env.DEPTHMILL_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    // three.js is most of the weight; one file per concern keeps the app's own code small to reload.
    rollupOptions: { output: { manualChunks: { three: ['three', 'three/addons/controls/OrbitControls.js'] } } },
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: Object.fromEntries(['/open-api', '/files', '/openapi.json', '/docs'].map((path) => [path, api])),
  },
});
