import { vitePreprocess } from "@sveltejs/vite-plugin-svelte";

/** @type {import("@sveltejs/vite-plugin-svelte").SvelteConfig} */
export default {
  // TypeScript in <script lang="ts">. Components are in runes mode by using runes.
  preprocess: vitePreprocess(),
};
