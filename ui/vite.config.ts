import { defineConfig } from "vite";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The Tauri shell loads http://localhost:5173 in development (src-tauri/tauri.conf.json
// `devUrl`) and ../ui/dist in a build (`frontendDist`): both are fixed here.
export default defineConfig({
  plugins: [svelte()],
  // Keep the Rust compiler's output readable when `tauri dev` runs both.
  clearScreen: false,
  server: {
    port: 5173,
    strictPort: true,
  },
  build: {
    // Linux runs the app in WebKitGTK, whose JavaScript is about Safari 15's.
    target: ["es2021", "safari15"],
    outDir: "dist",
    emptyOutDir: true,
  },
});
