// A stand-in for the Tauri shell in component tests: answers commands from a handler and
// records every call, with node events mocked so tests can emit them.
import { mockIPC } from "@tauri-apps/api/mocks";
import type { InvokeArgs } from "@tauri-apps/api/core";
import { emit } from "@tauri-apps/api/event";
import type { Applied, FailureKind, GroupView, MemberView, NodeEvent, WhoAmI } from "../bindings";

export type Call = { cmd: string; args: Record<string, unknown> };

/** A refusal as the shell sends it: the generated bindings turn it into `status: "error"`. */
export function refuse(message: string, kind: FailureKind = "doc"): never {
  throw { kind, message };
}

/** Installs `handler` as the backend; returns the list of calls it receives. */
export function backend(handler: (cmd: string, args: Record<string, unknown>) => unknown): Call[] {
  const calls: Call[] = [];
  mockIPC(
    (cmd: string, payload?: InvokeArgs) => {
      const args = (payload ?? {}) as Record<string, unknown>;
      calls.push({ cmd, args });
      return handler(cmd, args);
    },
    { shouldMockEvents: true },
  );
  return calls;
}

/** Emits a node event as the shell does: after the command that caused it has answered. */
export function later(event: NodeEvent): void {
  setTimeout(() => void emit("node-event", event), 0);
}

/** What the node answers to an edit, and the `doc_changed` it reports for it, as for a peer's. */
export function edited(doc: string, applied: Applied = { applied: "done" }, group = "g1"): Applied {
  later({ event: "doc_changed", group, doc });
  return applied;
}

export const ALICE: WhoAmI = { name: "Alice", member_id: "a".repeat(64), peer_id: "12D3KooWAlice" };

export const alice: MemberView = { id: ALICE.member_id, name: "Alice", role: "admin", devices: [ALICE.peer_id], is_me: true, elector: true };
export const bob: MemberView = { id: "b".repeat(64), name: "Bob", role: "member", devices: ["12D3KooWBob"], is_me: false, elector: true };

export function groupView(extra: Partial<GroupView> = {}): GroupView {
  return {
    id: "g1",
    name: "Elm Street tenants",
    members: [alice, bob],
    invite_policy: "members",
    election: { candidates: [], electors: 2, majority: 2, my_vote: null },
    docs: [],
    ended: null,
    ...extra,
  };
}

/** Lets pending promises and Svelte's updates run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setTimeout(r, 0));
}
