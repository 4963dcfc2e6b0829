// Calling the node through the generated bindings. Every command answers
// `{status: "ok", data}` or `{status: "error", error: {kind, message}}`; components want the
// data or one sentence to show, so this turns the error half into a thrown CommandError.
//
// A document is changed by one operation, as data (`BoardOp`, `AssemblyOp`, `ResourcesOp`):
// `editBoard`, `editAssembly` and `editResources` send it. No caller reloads after its own
// edit: the node reports `doc_changed` for this device's edits as for a peer's, and the
// screen showing the document reloads on that event alone.
import {
  commands,
  type Applied,
  type AssemblyOp,
  type BoardOp,
  type ErrorReply,
  type FailureKind,
  type Outcome,
  type ResourcesOp,
} from "../bindings";

/** What every generated command resolves to. */
export type Reply<T> = { status: "ok"; data: T } | { status: "error"; error: ErrorReply };

/** A command that the node refused or could not carry out. */
export class CommandError extends Error {
  /** What kind of failure: one of the app's own (`stopped`, `invalid`...) or the node's. */
  readonly kind: FailureKind;

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

/** Applies one change to a board. */
export function editBoard(doc: string, op: BoardOp): Promise<Applied> {
  return call(commands.editBoard(doc, op));
}

/** Applies one change to an assembly. */
export function editAssembly(doc: string, op: AssemblyOp): Promise<Applied> {
  return call(commands.editAssembly(doc, op));
}

/** Applies one change to a resources list. */
export function editResources(doc: string, op: ResourcesOp): Promise<Applied> {
  return call(commands.editResources(doc, op));
}

/** The id an operation that creates something (a card, an item...) created. */
export function created(applied: Applied): string {
  if (applied.applied === "created") return applied.value;
  throw new Error(`The node answered “${applied.applied}” where it should have created something.`);
}

/** The outcome a `decide` operation recorded. */
export function decided(applied: Applied): Outcome {
  if (applied.applied === "decided") return applied.value;
  throw new Error(`The node answered “${applied.applied}” where it should have decided a proposal.`);
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
