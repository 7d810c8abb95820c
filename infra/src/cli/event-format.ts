import type { AnyEvent, FieldChange } from '@cm/contracts';
import type { StreamCommit } from '@cm/platform';

/** One event as the history CLIs print it: its commit's position and, when known, what it changed. */
export interface PrintedEvent {
  seq: number;
  time: string;
  event: AnyEvent;
  changes?: FieldChange[];
}

const ANSI = {
  reset: '\x1b[0m',
  dim: '\x1b[2m',
  bold: '\x1b[1m',
  red: '\x1b[31m',
  green: '\x1b[32m',
  yellow: '\x1b[33m',
  cyan: '\x1b[36m',
};
type Colour = keyof typeof ANSI;

/** Colours only for a terminal, and never with NO_COLOR set (no-color.org). */
export function useColour(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR;
}

const paint = (on: boolean) => (colour: Colour, text: string) => (on ? `${ANSI[colour]}${text}${ANSI.reset}` : text);

const value = (v: unknown): string => (v === undefined ? '∅' : JSON.stringify(v));

/** `name "a" → "b", level 1 → 2`; fields a creation sets from nothing read `name = "a"`. */
export function formatChanges(changes: readonly FieldChange[]): string {
  return changes
    .filter((c) => c.field !== 'status' || c.after === 'deleted')
    .map((c) =>
      c.before === undefined || c.before === '' || c.before === 0 || c.before === null
        ? `${c.field} = ${value(c.after)}`
        : `${c.field} ${value(c.before)} → ${value(c.after)}`,
    )
    .join(', ');
}

/** The event's data as `key=value` pairs, for when no diff is known. */
const formatData = (data: unknown): string =>
  Object.entries((data ?? {}) as Record<string, unknown>)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');

const colourOf = (type: string): Colour =>
  type.endsWith('Created') || type.endsWith('Defined') || type.endsWith('Forked') || type.endsWith('Added')
    ? 'green'
    : type.endsWith('Deleted') || type.endsWith('Removed') || type.endsWith('Unset')
      ? 'red'
      : 'yellow';

/** One line per event: `#seq time campaign/branch entity Type by user  changes`. */
export function formatLine(p: PrintedEvent, colour: boolean, verbose: boolean): string {
  const c = paint(colour);
  const e = p.event;
  const what = p.changes ? formatChanges(p.changes) : formatData(e.data);
  const line = [
    c('dim', `#${p.seq}`),
    c('dim', p.time),
    `${e.campaignId}/${e.branchId}`,
    c('cyan', `${e.entityType}:${e.entityId}`),
    c(colourOf(e.type), e.type),
    c('dim', `by ${e.metadata.userId}`),
    what,
  ].join('  ');
  if (!verbose) return line;
  const meta = `command ${e.metadata.commandId}  correlation ${e.metadata.correlationId}  causation ${e.metadata.causationId}  v${e.aggregateVersion}`;
  return `${line}\n    ${c('dim', meta)}\n    ${JSON.stringify(e.data)}`;
}

/** The words of an event type after its aggregate's name: `SettlementLevelSet` → `level set`. */
function verbOf(event: AnyEvent): string {
  const aggregate = event.entityType
    .replace(/-(\w)/g, (_, ch: string) => ch.toUpperCase())
    .replace(/^\w/, (ch) => ch.toUpperCase());
  const rest = event.type.startsWith(aggregate) ? event.type.slice(aggregate.length) : event.type;
  return rest.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

/** A sentence per event, for `cm replay`: `#12 at … alice: settlement town in main renamed: name "a" → "b"`. */
export function formatStory(p: PrintedEvent, colour: boolean): string {
  const c = paint(colour);
  const e = p.event;
  const what = p.changes ? formatChanges(p.changes) : formatData(e.data);
  const saga =
    e.metadata.causationId === e.metadata.commandId ? '' : c('dim', ` (caused by event ${e.metadata.causationId})`);
  return `${c('dim', `#${p.seq} at ${p.time}`)} ${c('bold', e.metadata.userId)}: ${e.entityType} ${c('cyan', e.entityId)} in ${e.branchId} ${c(colourOf(e.type), verbOf(e))}${what ? `: ${what}` : ''}${saga}`;
}

/** A JSON line per event: the event, its position and (when known) its changes. */
export function formatJson(p: PrintedEvent): string {
  return JSON.stringify({ seq: p.seq, time: p.time, ...p.event, ...(p.changes ? { changes: p.changes } : {}) });
}

/** Events of a commit, each with the commit's position. */
export const eventsOf = (c: StreamCommit): PrintedEvent[] =>
  c.commit.events.map((event) => ({ seq: c.seq, time: c.time, event }));
