import { beforeEach, describe, expect, it } from "vitest";
import { fireEvent, render, screen } from "@testing-library/svelte";
import type { DocSummary, NewInvite } from "../bindings";
import GroupHome from "./GroupHome.svelte";
import { session } from "../lib/session.svelte";
import { ALICE, alice, backend, bob, groupView, settle, type Call } from "../test/fake";

const invite: NewInvite = {
  id: "inv1",
  code: "mutual1-abcdefghijklmnopqrstuvwxyz234567",
  meetup_code: "4821-7730",
  expires_at: Date.now() + 168 * 3600 * 1000,
  qr_svg: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
};

let docs: DocSummary[];
let calls: Call[];

beforeEach(() => {
  session.me = ALICE;
  session.status = {
    running: true,
    peer_id: ALICE.peer_id,
    listening: [],
    connected: ["12D3KooWBob"],
    groups: [],
  };
  docs = [];
  calls = backend((cmd, args) => {
    switch (cmd) {
      case "group":
        return groupView({ docs: structuredClone(docs) });
      case "invites":
        return [];
      case "activity":
        return [
          {
            doc: "d1",
            title: "Repairs",
            change: "c1",
            time: Math.floor(Date.now() / 1000) - 120,
            member_id: "b".repeat(64),
            member: "Bob",
            device: "12D3KooWBob",
            message: "added card “Fix the boiler” to To do",
          },
        ];
      case "docs":
        return structuredClone(docs);
      case "create_invite":
        return invite;
      case "create_doc":
        docs.push({ id: "d1", kind: args.kind as string, title: args.title as string, archived: false });
        return "d1";
    }
  });
});

describe("group home", () => {
  it("lets a member vote for an admin, and shows the votes each member has", async () => {
    let election = { candidates: [] as { id: string; name: string; voters: string[] }[], electors: 3, majority: 2, my_vote: null as string | null };
    const carol = { ...bob, id: "c".repeat(64), name: "Carol", devices: ["12D3KooWCarol"] };
    const members = [{ ...alice, is_me: false }, { ...bob, is_me: true }, carol];
    calls = backend((cmd, args) => {
      switch (cmd) {
        case "group":
          return groupView({ members, election: structuredClone(election) });
        case "invites":
        case "activity":
        case "docs":
          return [];
        case "vote_admin":
          election = { ...election, candidates: [{ id: args.member as string, name: "Carol", voters: ["Bob"] }], my_vote: args.member as string };
          return { name: "Carol", votes: 1, majority: 2, elected: false };
      }
    });
    render(GroupHome, { group: "g1" });
    const buttons = await screen.findAllByTestId("vote-admin");
    // One for each member who is not an admin: Bob himself, and Carol.
    expect(buttons.map((b) => b.textContent?.trim())).toEqual(["Vote for yourself as admin", "Vote for Carol as admin"]);
    await fireEvent.click(buttons[1]!);
    await settle();
    expect(calls.find((c) => c.cmd === "vote_admin")?.args).toEqual({ group: "g1", member: carol.id });
    expect((await screen.findByTestId("admin-votes")).textContent).toContain("1 of 2 votes to be an admin");
    expect(screen.getAllByTestId("vote-admin")).toHaveLength(1);
  });


  it("tells of a device that looked at who is in the group with a code and did not join", async () => {
    session.looks = [];
    render(GroupHome, { group: "g1" });
    await screen.findByTestId("group-name");
    expect(screen.queryByTestId("looked")).toBeNull();
    // Bob's device looked before it joined: no cause for concern. Eve's did not join.
    session.noteLook(["g1"], "12D3KooWBob");
    await settle();
    expect(screen.queryByTestId("looked")).toBeNull();
    session.noteLook(["g1"], "12D3KooWEve");
    session.noteLook(["other"], "12D3KooWEve");
    const notice = (await screen.findByTestId("looked")).textContent?.replace(/\s+/g, " ");
    expect(notice).toContain("A device holding one of this group's invite codes was shown who is in it and did not join");
    expect(notice).toContain("(the last just now)");
    await fireEvent.click(screen.getByText("Dismiss"));
    expect(screen.queryByTestId("looked")).toBeNull();
    expect(session.looks.map((l) => l.group)).toEqual(["other"]);
    session.looks = [];
  });

  it("lists members by name with who is online", async () => {
    render(GroupHome, { group: "g1" });
    expect((await screen.findByTestId("group-name")).textContent).toBe("Elm Street tenants");
    const members = screen.getAllByTestId("member").map((m) => m.textContent ?? "");
    expect(members[0]).toContain("Alice");
    expect(members[1]).toContain("Bob");
    expect(members[1]).toContain("online");
  });

  it("warns when this laptop alone holds the latest changes, and only then", async () => {
    render(GroupHome, { group: "g1" });
    await screen.findByTestId("group-name");
    expect(screen.queryByTestId("only-here")).toBeNull();
    session.status = {
      ...session.status!,
      groups: [{ id: "g1", name: "Elm Street tenants", devices: [], only_here: true, unshared: 2 }],
    };
    const warning = await screen.findByTestId("only-here");
    expect(warning.textContent).toContain("2 changes are only on this laptop");
    expect(warning.textContent).toContain("no other member's device has them yet");
  });

  it("shows who changed what in the group's documents", async () => {
    render(GroupHome, { group: "g1" });
    const log = await screen.findByTestId("group-activity");
    await settle();
    expect(log.textContent).toContain("Bob");
    expect(log.textContent).toContain("Fix the boiler");
    expect(log.textContent).toContain("in Repairs");
  });

  it("creates an invite with the defaults and shows its codes", async () => {
    render(GroupHome, { group: "g1" });
    await fireEvent.click(await screen.findByTestId("invite-create"));
    await settle();

    expect(calls.find((c) => c.cmd === "create_invite")?.args).toEqual({ group: "g1", role: "member", uses: 1, hours: 168 });
    expect(screen.getByTestId("invite-code").textContent).toBe(invite.code);
    expect(screen.getByTestId("invite-meetup-code").textContent).toBe("4821-7730");
    expect(screen.getByRole("img", { name: "QR code of the invite" }).querySelector("svg")).toBeTruthy();
  });

  it("creates a document and lists it", async () => {
    render(GroupHome, { group: "g1" });
    await fireEvent.change(await screen.findByTestId("new-doc-kind"), { target: { value: "board" } });
    await fireEvent.input(screen.getByTestId("new-doc-title"), { target: { value: "Repairs" } });
    await fireEvent.click(screen.getByTestId("new-doc-submit"));

    expect((await screen.findByTestId("doc-link")).textContent).toContain("Repairs");
    expect(calls.find((c) => c.cmd === "create_doc")?.args).toEqual({ group: "g1", kind: "board", title: "Repairs" });
  });
});
