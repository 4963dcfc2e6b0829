import { describe, expect, it } from "vitest";
import type { MemberView, Status } from "../bindings";
import { iAmAdmin, nameOf, onlyHereText, presenceOf, presenceText } from "./members";

const alice: MemberView = { id: "a".repeat(40), name: "Alice", role: "admin", devices: ["pa"], is_me: true, elector: true };
const bob: MemberView = { id: "b".repeat(40), name: "Bob", role: "member", devices: ["pb1", "pb2"], is_me: false, elector: true };
const carol: MemberView = { id: "c".repeat(40), name: "Carol", role: "member", devices: ["pc"], is_me: false, elector: true };
const members = [alice, bob, carol];
const NOW = Date.UTC(2026, 10, 22, 12);

const status: Status = {
  running: true,
  peer_id: "pa",
  listening: [],
  connected: ["pb1"],
  groups: [
    {
      id: "g1",
      name: "Tenants",
      only_here: false,
      unshared: 0,
      devices: [
        { peer_id: "pb1", member: "Bob", connected: true, in_sync: true, missing: 0, connected_since: 1, last_synced: 1, last_seen: 1 },
        { peer_id: "pb2", member: "Bob", connected: false, in_sync: false, missing: 3, connected_since: null, last_synced: null, last_seen: null },
        { peer_id: "pc", member: "Carol", connected: false, in_sync: false, missing: 0, connected_since: null, last_synced: NOW - 60_000, last_seen: NOW - 120 * 60_000 },
      ],
    },
  ],
};

describe("nameOf", () => {
  it("maps member ids to names, marking the person using this device", () => {
    expect(nameOf(members, bob.id)).toBe("Bob");
    expect(nameOf(members, alice.id)).toBe("Alice (you)");
  });
  it("labels a former member by a short id and keeps a free-text name", () => {
    expect(nameOf(members, "d".repeat(40))).toBe("a former member (dddddddd…)");
    expect(nameOf(members, "the bakery")).toBe("the bakery");
    expect(nameOf(members, null)).toBe("nobody");
  });
  it("knows whether I am an admin", () => {
    expect(iAmAdmin(members)).toBe(true);
    expect(iAmAdmin([{ ...alice, role: "member" }])).toBe(false);
  });
});

describe("presenceOf", () => {
  it("says who is online and how many of their devices are in sync", () => {
    expect(presenceText(presenceOf(bob, status, "g1"))).toBe("online, 1 of 2 devices in sync");
    expect(presenceText(presenceOf(carol, status, "g1"), NOW)).toBe("offline, last seen 2 h ago, in sync");
    expect(presenceText(presenceOf(alice, status, "g1"))).toBe("you");
  });
  it("says how many changes a device that is behind lacks", () => {
    const behind = { ...carol, devices: ["pb2"] };
    expect(presenceText(presenceOf(behind, status, "g1"))).toBe("offline, missing 3 changes");
  });
  it("reads nothing into a missing status", () => {
    const p = presenceOf(bob, null, "g1");
    expect(p).toEqual({ self: false, online: false, devices: 0, inSync: 0, missing: 0, lastSeen: null });
    expect(presenceText(p)).toBe("offline");
  });
});

describe("onlyHereText", () => {
  it("says how many changes are only on this laptop", () => {
    expect(onlyHereText(3)).toBe("3 changes are only on this laptop");
    expect(onlyHereText(1)).toBe("1 change is only on this laptop");
  });
});
