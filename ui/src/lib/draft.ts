// Collaborative text typed in a textarea (the minutes, a card's description).
//
// The person's text is saved a moment after they type. A change that arrives from another
// member meanwhile must not replace what they are typing: their draft stays, and once they
// have stopped (nothing pending, nothing being saved, a pause since the last key) the field
// shows the document's text again, which by then has merged both.

export type DraftOptions = {
  /** Saves the text; resolves once the document holds it (and the new text was pushed in). */
  save: (text: string) => Promise<void>;
  /** Shows a text in the field. */
  show: (text: string) => void;
  /** Reports a failed save, or null when saving works again. */
  failed?: (error: unknown) => void;
  /** Wait after the last key before saving. */
  debounceMs?: number;
  /** Pause after the last key before the field follows the document again. */
  idleMs?: number;
  /** The clock, in ms (tests pass their own). */
  now?: () => number;
};

export class DraftSync {
  private remote: string;
  private draft: string;
  private lastInput = -Infinity;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private saving = false;
  private readonly debounceMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;

  constructor(
    initial: string,
    private readonly options: DraftOptions,
  ) {
    this.remote = initial;
    this.draft = initial;
    this.debounceMs = options.debounceMs ?? 400;
    this.idleMs = options.idleMs ?? 1500;
    this.now = options.now ?? (() => Date.now());
  }

  /** Whether the person is typing or their text is on its way to the document. */
  get busy(): boolean {
    return this.saveTimer !== null || this.saving || this.now() - this.lastInput < this.idleMs;
  }

  /** The person typed: keep their text, save it shortly. */
  input(text: string): void {
    this.draft = text;
    this.lastInput = this.now();
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.flush(), this.debounceMs);
    this.scheduleResync();
  }

  /** The document's text changed (a reload): shown at once unless the person is busy. */
  remoteChanged(text: string): void {
    this.remote = text;
    if (!this.busy) this.resync();
  }

  /** Saves now what is pending (e.g. when the field loses focus). */
  async flush(): Promise<void> {
    if (this.saveTimer !== null) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    if (this.draft === this.remote || this.saving) {
      // A save in flight will be followed by another if the draft moved on meanwhile.
      if (this.saving) this.saveTimer = setTimeout(() => void this.flush(), this.debounceMs);
      return;
    }
    this.saving = true;
    const text = this.draft;
    try {
      await this.options.save(text);
      this.options.failed?.(null);
    } catch (error) {
      this.options.failed?.(error);
    } finally {
      this.saving = false;
    }
    this.scheduleResync();
  }

  /** Stops the timers (the field is gone). */
  dispose(): void {
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.saveTimer = this.idleTimer = null;
  }

  private scheduleResync(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    const wait = Math.max(0, this.lastInput + this.idleMs - this.now());
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.busy) this.scheduleResync();
      else this.resync();
    }, wait);
  }

  private resync(): void {
    if (this.draft !== this.remote) {
      this.draft = this.remote;
      this.options.show(this.remote);
    }
  }
}
