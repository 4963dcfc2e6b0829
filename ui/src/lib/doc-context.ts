// The document open on screen, shared with every component that shows a part of it.
//
// The screen that opens a document (DocScreen) puts one OpenDoc in Svelte's context; the
// components under it (the board, its cards, the assembly's sections, the resources' tables)
// read it with `openDoc()` instead of receiving the document's id, its view, the members and
// "me" as props through every level. They keep props only for what is theirs (a card, an
// item). Its fields are reactive: reading `view` in a template or a `$derived` follows each
// reload of the document.
//
// Nothing here reloads: the screen reloads the view when the node reports `doc_changed`,
// for this device's own edits as for a peer's.
import { getContext, hasContext, setContext } from "svelte";
import type { DocSummary, DocView, MemberView } from "../bindings";

/** The open document, as its components read it. */
export type OpenDoc = {
  /** The document's id. */
  readonly id: string;
  /** The group it belongs to. */
  readonly group: string;
  /** Its latest view (reactive), with the version shown (`heads`); null until read. */
  readonly view: DocView | null;
  /** The group's members. */
  readonly members: MemberView[];
  /** The member id of the person using this device. */
  readonly me: string;
  /** The group's documents (to link to a board, to know whether this one is archived). */
  readonly docs: DocSummary[];
};

/** A document's kinds, and the view of one kind. */
export type DocKind = DocView["kind"];
export type ViewOf<K extends DocKind> = Extract<DocView, { kind: K }>;

const KEY = Symbol("mutual.open-doc");

/** Puts the open document in context, for the calling component and those under it. */
export function setOpenDoc(doc: OpenDoc): OpenDoc {
  return setContext(KEY, doc);
}

/** The open document (from a component under the screen that opened it). */
export function openDoc(): OpenDoc {
  if (!hasContext(KEY)) throw new Error("No document is open here: this component belongs under DocScreen.");
  return getContext<OpenDoc>(KEY);
}

/** A context holding `doc`, for `mount`/`render`'s `context` option (tests, previews). */
export function openDocContext(doc: OpenDoc): Map<unknown, unknown> {
  return new Map([[KEY, doc]]);
}

/**
 * The open document's view, which must be of `kind`: a component for one kind is only
 * shown once the screen has read the document and seen its kind.
 */
export function viewOf<K extends DocKind>(doc: OpenDoc, kind: K): ViewOf<K> {
  const view = doc.view;
  if (view === null || view.kind !== kind) {
    throw new Error(`The open document is ${view ? `a ${view.kind}` : "not read yet"}, not a ${kind}.`);
  }
  return view as ViewOf<K>;
}
