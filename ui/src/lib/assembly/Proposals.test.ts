import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen, within } from "@testing-library/svelte";
import type { Assembly, AssemblyOp, DocView, Position, Proposal, Tally } from "../../bindings";
import DocScreen from "../../screens/DocScreen.svelte";
import { announcer } from "../announce.svelte";
import { session } from "../session.svelte";
import { ALICE, alice, backend, bob, edited, groupView, settle, type Call } from "../../test/fake";

let assembly: Assembly;
let calls: Call[];

function tally(positions: Position[]): Tally {
  const t: Tally = { agree: 0, abstain: 0, disagree: 0, block: 0 };
  for (const p of positions) t[p.stance]++;
  return t;
}

beforeEach(() => {
  session.me = ALICE;
  assembly = {
    title: "December assembly",
    created_at: 0,
    created_by: alice.id,
    scheduled_at: "2026-12-01 18:30",
    place: null,
    facilitator: null,
    note_taker: null,
    attendance: [],
    agenda: [],
    deleted_agenda: [],
    proposals: [],
    decisions: [],
    minutes: "",
    actions: [],
  };
  calls = backend((cmd, args) => {
    switch (cmd) {
      case "doc":
        return structuredClone({ id: "a1", group: "g1", heads: [], kind: "assembly", ...assembly } satisfies DocView);
      case "group":
        return groupView();
      case "edit_assembly": {
        const op = args.op as AssemblyOp;
        if (op.op === "propose") return propose(op.title, op.text, op.rule);
        if (op.op === "position") return position(op.proposal, op.stance, op.reason);
        if (op.op === "decide") {
          const p = assembly.proposals.find((x) => x.id === op.proposal)!;
          p.decided = true;
          assembly.decisions.push({ id: `d-${p.id}`, proposal: p.id, title: p.title, outcome: p.outcome, tally: p.tally, time: 0, by: alice.id });
          return edited("a1", { applied: "decided", value: p.outcome });
        }
        throw new Error(`unexpected ${op.op}`);
      }
    }
  });
});

/** The node's answer to a `propose`: Bob has already blocked it. */
function propose(title: string, text: string, rule: Proposal["rule"]) {
  const p: Proposal = {
    id: `p${assembly.proposals.length + 1}`,
    title,
    text,
    rule,
    positions: [{ member: bob.id, stance: "block", reason: "Too soon", time: 0, recorded_by: bob.id }],
    tally: { agree: 0, abstain: 0, disagree: 0, block: 1 },
    outcome: "blocked",
    decided: false,
    created_by: alice.id,
    created_at: 0,
  };
  assembly.proposals.push(p);
  return edited("a1", { applied: "created", value: p.id });
}

/** The node's answer to my `position`. */
function position(proposal: string, stance: Position["stance"], reason: string) {
  const p = assembly.proposals.find((x) => x.id === proposal)!;
  p.positions = p.positions.filter((x) => x.member !== alice.id);
  p.positions.push({ member: alice.id, stance, reason, time: 0, recorded_by: alice.id });
  p.tally = tally(p.positions);
  return edited("a1");
}

describe("proposals", () => {
  it("proposes, shows positions by name with the tally and outcome, and records my position", async () => {
    render(DocScreen, { group: "g1", doc: "a1" });
    await fireEvent.input(await screen.findByTestId("proposal-title"), { target: { value: "Rent strike" } });
    await fireEvent.input(screen.getByTestId("proposal-text"), { target: { value: "From January." } });
    await fireEvent.change(screen.getByTestId("proposal-rule"), { target: { value: "majority" } });
    await fireEvent.click(screen.getByTestId("proposal-submit"));

    const proposal = await screen.findByTestId("proposal");
    expect(calls.find((c) => c.cmd === "edit_assembly")?.args).toEqual({
      doc: "a1",
      op: { op: "propose", title: "Rent strike", text: "From January.", rule: "majority" },
    });
    expect(within(proposal).getByTestId("position").textContent).toContain("Bob: block");
    expect(within(proposal).getByTestId("tally").textContent).toBe("0 agree · 0 abstain · 0 disagree · 1 block");
    expect(within(proposal).getByTestId("outcome").textContent).toBe("blocked");

    await fireEvent.input(within(proposal).getByTestId("position-reason"), { target: { value: "We are ready" } });
    await fireEvent.click(within(proposal).getByTestId("position-agree"));
    await settle();

    expect(calls.filter((c) => c.cmd === "edit_assembly")[1]?.args).toEqual({
      doc: "a1",
      op: { op: "position", proposal: "p1", stance: "agree", reason: "We are ready" },
    });
    const positions = within(screen.getByTestId("proposal")).getAllByTestId("position").map((p) => p.textContent);
    expect(positions.some((t) => t?.includes("Alice (you): agree") && t.includes("We are ready"))).toBe(true);
    expect(within(screen.getByTestId("proposal")).getByTestId("position-agree").getAttribute("aria-pressed")).toBe("true");
  });

  it("decides a proposal and says its outcome", async () => {
    propose("Rent strike", "From January.", "consent");
    render(DocScreen, { group: "g1", doc: "a1" });
    await fireEvent.click(await screen.findByRole("button", { name: /^Decide/ }));
    await settle();

    expect(calls.find((c) => c.cmd === "edit_assembly")?.args).toEqual({ doc: "a1", op: { op: "decide", proposal: "p1" } });
    expect(await screen.findByText("decided")).toBeTruthy();
    expect(announcer.message).toBe("Rent strike: blocked.");
  });
});
