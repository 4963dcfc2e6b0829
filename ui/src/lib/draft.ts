// Collaborative text typed in a textarea (the minutes, a card's description).
//
// The person's text is saved a moment after they type. A change that arrives from another
// member meanwhile must not replace what they are typing: their draft stays, and once they
// have stopped (nothing pending, nothing being saved, a pause since the last key) the field
// shows the document's text again, which by then has merged both.
//
// Each save names the version its draft was written on: the heads of the document's text the
// field last showed. They change only when the field shows the document's text again, never
// while the person types, even if other members' text arrived meanwhile: the node then merges
// what others wrote since that version, character by character, and adds this device's own
// earlier saves itself.
//
// The document's text comes back only through a reload (the node reports every change, this
// device's own too, as `doc_changed`). After a save the field keeps the person's text until
// that reload arrives, rather than flashing the older text it had.
//
// Every live draft is registered, so that closing the window saves them all first
// (`flushAllDrafts`).

export type DraftOptions = {
  /**
   * Saves the text, written on the version `basedOn` (the heads of the text the field last
   * showed); resolves once the node holds it.
   */
  save: (text: string, basedOn: string[]) => Promise<void>;
  /** Shows a text in the field. */
  show: (text: string) => void;
  /** Reports a failed save, or null when saving works again. */
  failed?: (error: unknown) => void;
  /** Wait after the last key before saving. */
  debounceMs?: number;
  /** Pause after the last key before the field follows the document again. */
  idleMs?: number;
  /**
   * After a save, how long the field waits for the document's text that holds it (the
   * reload after the node's `doc_changed`) before showing the latest text it has anyway.
   */
  echoMs?: number;
  /** The clock, in ms (tests pass their own). */
  now?: () => number;
};

/** The drafts of the fields on screen (and of fields just closed, until they are saved). */
const live = new Set<DraftSync>();

/** Saves what every field holds that is not saved yet; resolves when all are done. */
export async function flushAllDrafts(): Promise<void> {
  await Promise.all([...live].map((draft) => draft.flush()));
}

export class DraftSync {
  /** The document's latest text, and its version. */
  private remote: string;
  private remoteHeads: string[];
  /** What the field holds. */
  private draft: string;
  /** The version of the document's text the field last showed: what a save is based on. */
  private shownHeads: string[];
  /** The text the document is known to hold, as far as this field knows: the one last
   * shown, or last saved. A draft that differs is not saved yet. */
  private known: string;
  private lastInput = -Infinity;
  /** A save went through and the document's text holding it has not arrived yet. */
  private awaitingEcho = false;
  private savedAt = -Infinity;
  private saveTimer: ReturnType<typeof setTimeout> | null = null;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private disposed = false;
  private readonly debounceMs: number;
  private readonly idleMs: number;
  private readonly echoMs: number;
  private readonly now: () => number;

  constructor(
    initialText: string,
    initialHeads: readonly string[],
    private readonly options: DraftOptions,
  ) {
    this.remote = this.draft = this.known = initialText;
    this.remoteHeads = [...initialHeads];
    this.shownHeads = [...initialHeads];
    this.debounceMs = options.debounceMs ?? 400;
    this.idleMs = options.idleMs ?? 1500;
    this.echoMs = options.echoMs ?? 3000;
    this.now = options.now ?? (() => Date.now());
    live.add(this);
  }

  /** Whether the person is typing, or their text is not in the document (or not back) yet. */
  get busy(): boolean {
    return (
      this.saveTimer !== null ||
      this.inFlight !== null ||
      this.draft !== this.known ||
      this.now() - this.lastInput < this.idleMs ||
      (this.awaitingEcho && this.now() - this.savedAt < this.echoMs)
    );
  }

  /** The version a save made now is based on: the heads of the text the field last showed. */
  get basedOn(): string[] {
    return [...this.shownHeads];
  }

  /** The person typed: keep their text, save it shortly. */
  input(text: string): void {
    this.draft = text;
    this.lastInput = this.now();
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.flush(), this.debounceMs);
    this.scheduleResync();
  }

  /** The document's text changed (a reload), now at version `heads`: shown at once unless
   * the person is busy. */
  remoteChanged(text: string, heads: readonly string[]): void {
    this.remote = text;
    this.remoteHeads = [...heads];
    // A reload during a save may predate it: only one after the save is known to hold it.
    if (this.inFlight === null) this.awaitingEcho = false;
    if (this.busy) this.scheduleResync();
    else this.resync();
  }

  /** Saves now what is not saved yet (the field loses focus, the window closes); resolves
   * when the node holds it, or the save failed (reported through `failed`). */
  async flush(): Promise<void> {
    if (this.saveTimer !== null) {
      clearTimeout(this.saveTimer);
      this.saveTimer = null;
    }
    // One save at a time: the next one starts from where the last one left the document.
    while (this.inFlight !== null) await this.inFlight;
    if (this.draft === this.known) {
      this.scheduleResync();
      return;
    }
    const text = this.draft;
    const basedOn = [...this.shownHeads];
    const saving = Promise.resolve()
      .then(() => this.options.save(text, basedOn))
      .then(
        () => {
          this.known = text;
          this.awaitingEcho = true;
          this.savedAt = this.now();
          this.options.failed?.(null);
        },
        (error: unknown) => {
          // The draft stays (and is not replaced by the document's text): the next key, the
          // field losing focus, or closing the window tries again.
          this.options.failed?.(error);
        },
      )
      .finally(() => {
        this.inFlight = null;
      });
    this.inFlight = saving;
    await saving;
    this.scheduleResync();
  }

  /** The field is gone: saves what it held, then forgets it. */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      this.dispose();
    }
  }

  /** Stops the timers and forgets this draft (nothing is saved: see `close`). */
  dispose(): void {
    this.disposed = true;
    if (this.saveTimer !== null) clearTimeout(this.saveTimer);
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.saveTimer = this.idleTimer = null;
    live.delete(this);
  }

  private scheduleResync(): void {
    if (this.disposed) return;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    const until = Math.max(
      this.lastInput + this.idleMs,
      this.awaitingEcho ? this.savedAt + this.echoMs : -Infinity,
    );
    this.idleTimer = setTimeout(
      () => {
        this.idleTimer = null;
        // A save pending, running or failed: its end (or the next key) schedules this again.
        if (this.saveTimer !== null || this.inFlight !== null || this.draft !== this.known) return;
        if (this.now() < until) {
          this.scheduleResync();
          return;
        }
        // Still no text holding the save (it changed nothing, or the reload came during the
        // save): the latest text there is.
        this.awaitingEcho = false;
        this.resync();
      },
      Math.max(0, until - this.now()),
    );
  }

  /** The field shows the document's text again, and later saves are based on its version. */
  private resync(): void {
    if (this.disposed) return;
    this.shownHeads = [...this.remoteHeads];
    this.known = this.remote;
    if (this.draft !== this.remote) {
      this.draft = this.remote;
      this.options.show(this.remote);
    }
  }
}
