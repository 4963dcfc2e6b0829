// An open document for a component rendered alone (without DocScreen): pass `context` to
// `render`. Its fields are state, so a test can change them as a reload would.
import type { DocSummary, DocView, MemberView } from "../bindings";
import { openDocContext, type OpenDoc } from "../lib/doc-context";
import { ALICE, alice, bob } from "./fake";

export class FakeOpenDoc implements OpenDoc {
  view = $state.raw<DocView | null>(null);
  members = $state.raw<MemberView[]>([alice, bob]);
  me = ALICE.member_id;
  docs = $state.raw<DocSummary[]>([]);

  constructor(view: DocView) {
    this.view = view;
  }

  get id(): string {
    return this.view?.id ?? "";
  }

  get group(): string {
    return this.view?.group ?? "g1";
  }

  /** For `render(Component, { props, context })`. */
  get context(): Map<unknown, unknown> {
    return openDocContext(this);
  }
}
