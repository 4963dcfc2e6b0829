// Something read from the node and shown: its last value, or why it could not be read.
// Reloads may overlap (two events in a row): only the latest one's answer is kept.
import { messageOf } from "./api";

export class Loader<T> {
  /** Replaced whole on each reload, so it needs no deep reactivity. */
  value = $state.raw<T | null>(null);
  error = $state<string | null>(null);
  #seq = 0;

  constructor(private readonly fetch: () => Promise<T>) {}

  async reload(): Promise<void> {
    const seq = ++this.#seq;
    try {
      const value = await this.fetch();
      if (seq !== this.#seq) return;
      this.value = value;
      this.error = null;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.error = messageOf(e);
    }
  }
}
