// What screen readers hear about changes they did not cause by focus (e.g. "joined
// Tenants"); App renders it in a polite live region.
class Announcer {
  message = $state("");

  say(message: string): void {
    // The same sentence twice must still be read: clear, then set on the next frame.
    this.message = "";
    queueMicrotask(() => {
      this.message = message;
    });
  }
}

export const announcer = new Announcer();
