import type { AnyEvent } from '@cm/contracts';
import type { StreamCommit } from '@cm/platform';
import type { EventDiffs } from './event-diffs.js';
import { eventsOf, type PrintedEvent } from './event-format.js';
import type { EventSelection } from './event-range.js';

/** The events of a commit the selection keeps, each with its changes when `diffs` is given and answers. */
export async function selectedEvents(
  commit: StreamCommit,
  sel: EventSelection,
  diffs: EventDiffs | undefined,
): Promise<PrintedEvent[]> {
  const kept = eventsOf(commit).filter(({ event }) => keeps(event, sel));
  if (kept.length === 0 || !diffs) return kept;
  const changes = await diffs.ofCommit(kept[0]!.event, commit.seq);
  return changes ? kept.map((p) => ({ ...p, changes: changes.get(p.event.id) ?? [] })) : kept;
}

const keeps = (event: AnyEvent, sel: EventSelection): boolean =>
  (!sel.types || sel.types.has(event.type)) && (!sel.user || event.metadata.userId === sel.user);
