import react from "@vitejs/plugin-react";
import { loadEnv } from "vite";
import { defineConfig } from "vitest/config";

// `npm run dev` proxies the API to a running `opsdeck serve` (default address below);
// set OPSDECK_API_URL to point it elsewhere.
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, ".", "");
  const api = env.OPSDECK_API_URL ?? "http://127.0.0.1:7410";
  return {
    // Relative asset URLs: the same build is served at `/` by `opsdeck serve`
    // and loaded from disk by the desktop shell.
    base: "./",
    plugins: [react()],
    build: {
      outDir: "dist",
      emptyOutDir: true,
    },
    server: {
      proxy: {
        "/api": { target: api, changeOrigin: true },
      },
    },
    test: {
      environment: "jsdom",
      setupFiles: ["./src/test/setup.ts"],
      restoreMocks: true,
    },
  };
});
