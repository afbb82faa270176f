import { defineConfig } from "vite";

// Served by the gateway at /ui: relative asset URLs, no inline scripts (the
// CSP allows only 'self'), and no modulepreload polyfill (it would be inline).
export default defineConfig({
  base: "./",
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
  },
});
