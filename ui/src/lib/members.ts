// Documents keep member ids (assignees, positions, authors); people read names.
import type { DeviceStatus, MemberView, Status } from "../bindings";
import { relativeTime, shortId } from "./format";

/** Looks like an id rather than a name: long, no spaces. */
function looksLikeId(text: string): boolean {
  return text.length >= 32 && !/\s/.test(text);
}

/**
 * A member's name from their id. Someone who left the group keeps a recognisable label;
 * a free-text name (a loan to a non-member) is shown as written.
 */
export function nameOf(members: readonly MemberView[], id: string | null | undefined): string {
  if (!id) return "nobody";
  const member = members.find((m) => m.id === id);
  if (member) return member.is_me ? `${member.name} (you)` : member.name;
  return looksLikeId(id) ? `a former member (${shortId(id)})` : id;
}

/** The person using this device, if they are a member. */
export function me(members: readonly MemberView[]): MemberView | undefined {
  return members.find((m) => m.is_me);
}

/** Whether the person using this device is an admin of the group. */
export function iAmAdmin(members: readonly MemberView[]): boolean {
  return me(members)?.role === "admin";
}

/** Where a member stands on the network, from this device's point of view. */
export type Presence = {
  /** This device's own person. */
  self: boolean;
  /** One of their devices has a sync session with this device now. */
  online: boolean;
  /** How many of their devices this device knows in the group's status. */
  devices: number;
  /** How many of those hold the same log and documents as this device: connected and in
   * sync, or holding everything this device has as of when they were last heard. */
  inSync: number;
  /** The most changes of this device's that one of their devices is known to lack. */
  missing: number;
  /** When one of their devices was last seen on the network (unix ms), if known. */
  lastSeen: number | null;
};

/**
 * A member's presence: online when one of their devices is connected (`status.connected`),
 * in sync per the group's device list (`status.groups[].devices`).
 */
export function presenceOf(member: MemberView, status: Status | null, group: string): Presence {
  const mine = new Set(member.devices);
  const devices: DeviceStatus[] =
    status?.groups.find((g) => g.id === group)?.devices.filter((d) => mine.has(d.peer_id)) ?? [];
  const connected = new Set(status?.connected ?? []);
  return {
    self: member.is_me,
    online:
      member.is_me ||
      member.devices.some((d) => connected.has(d)) ||
      devices.some((d) => d.connected),
    devices: devices.length,
    inSync: devices.filter((d) => d.in_sync || (!d.connected && d.missing === 0)).length,
    missing: Math.max(0, ...devices.map((d) => d.missing)),
    lastSeen: latest(devices.map((d) => d.last_seen ?? d.connected_since)),
  };
}

function latest(times: (number | null)[]): number | null {
  const known = times.filter((t): t is number => t !== null);
  return known.length ? Math.max(...known) : null;
}

/** The presence in words: "this device", "online, in sync", "offline", ... */
export function presenceText(p: Presence, nowMs: number = Date.now()): string {
  if (p.self) return "you";
  const where = p.online
    ? "online"
    : p.lastSeen !== null
      ? `offline, last seen ${relativeTime(p.lastSeen / 1000, nowMs)}`
      : "offline";
  if (p.devices === 0) return where;
  if (p.inSync === p.devices) return `${where}, in sync`;
  if (p.inSync === 0 && p.missing > 0) {
    return `${where}, missing ${p.missing} ${p.missing === 1 ? "change" : "changes"}`;
  }
  if (p.inSync === 0) return `${where}, not in sync yet`;
  return `${where}, ${p.inSync} of ${p.devices} devices in sync`;
}

/** How many changes no other member's device holds, in words: "3 changes are only on this
 * laptop" (one: "1 change is ..."). */
export function onlyHereText(unshared: number): string {
  return `${unshared} ${unshared === 1 ? "change is" : "changes are"} only on this laptop`;
}
