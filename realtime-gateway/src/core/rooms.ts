import type { RealtimeUpdate } from '@cm/contracts';
import type { Update } from './update.js';

/** `campaign:<id>:<branch>`: every change in one campaign branch. */
export const campaignRoom = (campaignId: string, branchId: string): string => `campaign:${campaignId}:${branchId}`;
/** `<entityType>:<id>:<branch>`: the changes of one entity (ids are unique per campaign; see `Recipient.campaignId`). */
export const entityRoom = (entityType: string, entityId: string, branchId: string): string =>
  `${entityType}:${entityId}:${branchId}`;

/** The two rooms an event is published to. */
export function roomsOf(
  p: Pick<RealtimeUpdate, 'campaignId' | 'branchId' | 'entityType' | 'entityId'>,
): [string, string] {
  return [campaignRoom(p.campaignId, p.branchId), entityRoom(p.entityType, p.entityId, p.branchId)];
}

/** What fan-out needs to know of a subscriber. */
export interface Recipient {
  readonly userId: string;
  /** The one room this subscription listens in. */
  readonly room: string;
  /** Only events of this campaign (entity rooms span every campaign with an entity of that id). */
  readonly campaignId: string | undefined;
  /** Only these event types; undefined: all. */
  readonly types: ReadonlySet<string> | undefined;
}

/** Who may see a campaign's events right now. */
export interface MembershipView {
  isMember(campaignId: string, userId: string): boolean;
}

/** Rooms in memory: room key → its subscribers. Joining, leaving and routing are O(1) per room. */
export class Rooms<R extends Recipient> {
  private readonly byRoom = new Map<string, Set<R>>();

  join(r: R): void {
    let set = this.byRoom.get(r.room);
    if (!set) this.byRoom.set(r.room, (set = new Set()));
    set.add(r);
  }

  leave(r: R): void {
    const set = this.byRoom.get(r.room);
    if (!set) return;
    set.delete(r);
    if (set.size === 0) this.byRoom.delete(r.room);
  }

  members(room: string): ReadonlySet<R> | undefined {
    return this.byRoom.get(room);
  }

  get size(): number {
    return this.byRoom.size;
  }
}

/** True when recipient `r` should receive `p`: its campaign, its types, and it is a member of the campaign now. */
export function accepts(r: Recipient, p: RealtimeUpdate, membership: MembershipView): boolean {
  if (r.campaignId !== undefined && r.campaignId !== p.campaignId) return false;
  if (r.types !== undefined && !r.types.has(p.type)) return false;
  return membership.isMember(p.campaignId, r.userId);
}

/**
 * Fan-out: the subscribers that receive one update. Two map lookups find its rooms whatever the number of
 * rooms; only the subscribers of those rooms are looked at.
 */
export function recipientsOf<R extends Recipient>(update: Update, rooms: Rooms<R>, membership: MembershipView): R[] {
  const out: R[] = [];
  for (const room of roomsOf(update.payload)) {
    const set = rooms.members(room);
    if (!set) continue;
    for (const r of set) if (accepts(r, update.payload, membership)) out.push(r);
  }
  return out;
}
