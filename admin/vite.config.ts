import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The dev server proxies the API to a running `npm start` (SKILLYARD_API, default the server's
// default port) so the SPA talks to the same origin in development and production.
const api = process.env.SKILLYARD_API ?? "http://127.0.0.1:4000";

export default defineConfig({
  base: "/admin/",
  plugins: [react()],
  server: {
    host: "127.0.0.1",
    proxy: {
      "/graphql": { target: api, ws: true },
      "/packages": api,
      "/auth": api,
      "/healthz": api,
    },
  },
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 1500 },
});
