import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/**
 * The dashboard. In development `/api` is proxied to the local gateway, so the app always calls
 * its own origin, as it does behind `tickflow up` (port 8080) and CloudFront on AWS.
 */
export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  server: {
    host: "127.0.0.1",
    port: 5173,
    proxy: { "/api": "http://127.0.0.1:8000" },
  },
  build: { outDir: "dist", emptyOutDir: true },
});
