import type { AnyEvent, Role } from '@cm/contracts';
import type { MembershipView } from './rooms.js';

/** A change of who may see a campaign, as the gateway must react to it. */
export type MembershipChange = { kind: 'added' | 'removed'; campaignId: string; userId: string };

/**
 * Campaign members in memory: loaded from the read model at start, then kept current from the member events
 * of the live stream, so a removal takes effect with the event itself rather than with a cache expiry.
 */
export class Membership implements MembershipView {
  private readonly byCampaign = new Map<string, Map<string, Role>>();

  isMember(campaignId: string, userId: string): boolean {
    return this.byCampaign.get(campaignId)?.has(userId) ?? false;
  }

  set(campaignId: string, userId: string, role: Role): void {
    let members = this.byCampaign.get(campaignId);
    if (!members) this.byCampaign.set(campaignId, (members = new Map()));
    members.set(userId, role);
  }

  remove(campaignId: string, userId: string): void {
    this.byCampaign.get(campaignId)?.delete(userId);
  }

  /** Applies a member event; returns what changed, or undefined for any other event. */
  apply(event: AnyEvent): MembershipChange | undefined {
    switch (event.type) {
      case 'CampaignCreated':
        this.set(event.campaignId, event.data.ownerId, 'owner');
        return { kind: 'added', campaignId: event.campaignId, userId: event.data.ownerId };
      case 'MemberAdded':
      case 'MemberRoleChanged':
        this.set(event.campaignId, event.data.userId, event.data.role);
        return { kind: 'added', campaignId: event.campaignId, userId: event.data.userId };
      case 'MemberRemoved':
        this.remove(event.campaignId, event.data.userId);
        return { kind: 'removed', campaignId: event.campaignId, userId: event.data.userId };
      default:
        return undefined;
    }
  }

  get campaigns(): number {
    return this.byCampaign.size;
  }
}
