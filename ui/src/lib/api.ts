// Calling the node through the generated bindings. Every command answers
// `{status: "ok", data}` or `{status: "error", error: {kind, message}}`; components want the
// data or one sentence to show, so this turns the error half into a thrown CommandError.
import type { ErrorReply } from "../bindings";

/** What every generated command resolves to. */
export type Reply<T> = { status: "ok"; data: T } | { status: "error"; error: ErrorReply };

/** A command that the node refused or could not carry out. */
export class CommandError extends Error {
  /** `no_identity`, `unavailable`, `stopped`, `join`, `refused` or `invalid`. */
  readonly kind: string;

  constructor(reply: ErrorReply) {
    super(reply.message);
    this.name = "CommandError";
    this.kind = reply.kind;
  }
}

/** The command's data, or a CommandError carrying the node's sentence. */
export async function call<T>(reply: Promise<Reply<T>>): Promise<T> {
  const result = await reply;
  if (result.status === "ok") return result.data;
  throw new CommandError(result.error);
}

/** The sentence to show a person for a failure, never raw JSON. */
export function messageOf(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  if (typeof error === "string" && error) return error;
  if (typeof error === "object" && error !== null && "message" in error) {
    const message = (error as { message: unknown }).message;
    if (typeof message === "string" && message) return message;
  }
  return "Something went wrong; please try again.";
}
