import { AppError, ErrorCode, roleAtLeast, type Command, type CommandType, type Role } from '@cm/contracts';
import { memberRole, type CampaignState } from './campaign/campaign.state.js';

/** Sagas and jobs act as `system:<component>`; they were authorised when their triggering command was. */
const SYSTEM_PREFIX = 'system:';

const OWNER_ONLY: ReadonlySet<CommandType> = new Set<CommandType>([
  'campaign.archive',
  'campaign.add-member',
  'campaign.change-member-role',
  'campaign.remove-member',
]);

/** The weakest role allowed to send a command of `type`. */
export function requiredRole(type: CommandType): Role {
  return OWNER_ONLY.has(type) ? 'owner' : 'gm';
}

function forbidden(type: CommandType, role: Role | null): AppError {
  const required = requiredRole(type);
  return new AppError(ErrorCode.FORBIDDEN, `${type} needs the ${required} role`, { required, role });
}

/**
 * Whether the actor of `command` may send it to the campaign in `campaign`; throws `NOT_FOUND`, `FORBIDDEN` or
 * `INVALID_STATE`, returns nothing when allowed. Pure: the shell loads the campaign state first.
 */
export function authorize(command: Command, campaign: CampaignState): void {
  // Anyone may create a campaign; whether it already exists is the campaign decider's answer.
  if (command.type === 'campaign.create') return;
  const { userId } = command.actor;
  const user = !userId.startsWith(SYSTEM_PREFIX);
  if (campaign.status !== 'active') {
    // A user is a non-member of a campaign that does not exist, and hears exactly what a non-member of one that
    // does hears: otherwise FORBIDDEN against NOT_FOUND would tell strangers which campaign ids exist.
    if (user) throw forbidden(command.type, null);
    throw new AppError(ErrorCode.NOT_FOUND, `campaign ${command.campaignId} not found`, {
      entityType: 'campaign',
      entityId: command.campaignId,
    });
  }

  if (user) {
    const role = memberRole(campaign, userId);
    // A non-member learns no more than a member without the right role would: not even that it is archived.
    if (!roleAtLeast(role, requiredRole(command.type))) throw forbidden(command.type, role ?? null);
  }

  if (campaign.archived && !command.type.startsWith('campaign.')) {
    throw new AppError(ErrorCode.INVALID_STATE, `campaign ${command.campaignId} is archived`, {
      campaignId: command.campaignId,
    });
  }
}
