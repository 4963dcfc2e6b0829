// One user action (a form's submit, a button): whether it is running, and the sentence to
// show beside it when it failed.
import { messageOf } from "./api";

export class Action {
  pending = $state(false);
  error = $state<string | null>(null);

  /** Runs `work`; true when it succeeded. A failure is kept in `error`, never thrown. */
  async run(work: () => Promise<unknown>): Promise<boolean> {
    this.pending = true;
    this.error = null;
    try {
      await work();
      return true;
    } catch (e) {
      this.error = messageOf(e);
      return false;
    } finally {
      this.pending = false;
    }
  }

  clear(): void {
    this.error = null;
  }
}
