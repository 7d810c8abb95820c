import { describe, expect, it } from 'vitest';
import { decodeCommit, encodeCommit } from './commit-codec.js';
import { AppError, ErrorCode } from './errors.js';
import type { AnyEvent, Commit } from './events.js';

const event = (over: Record<string, unknown> = {}): AnyEvent =>
  ({
    id: 'commit-1:0',
    type: 'KingdomRenamed',
    schemaVersion: 1,
    campaignId: 'c1',
    branchId: 'main',
    entityType: 'kingdom',
    entityId: 'k1',
    aggregateVersion: 2,
    data: { name: 'Northmark' },
    metadata: {
      commandId: 'cmd-1',
      correlationId: 'corr-1',
      causationId: 'cmd-1',
      userId: 'u1',
      occurredAt: '2024-05-01T12:00:00.000Z',
    },
    ...over,
  }) as AnyEvent;

const raw = (events: unknown[]) => new TextEncoder().encode(JSON.stringify({ commitId: 'commit-1', events }));

function refused(bytes: Uint8Array): AppError {
  try {
    decodeCommit(bytes);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return e as AppError;
  }
  throw new Error('decodeCommit accepted it');
}

describe('commit codec', () => {
  it('decodes what it encodes', () => {
    const commit: Commit = {
      commitId: 'commit-1',
      events: [event(), event({ id: 'commit-1:1', aggregateVersion: 3, data: { name: 'Southmark' } })],
    };
    expect(decodeCommit(encodeCommit(commit))).toEqual(commit);
  });
  it('keeps only the commit fields it knows', () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ commitId: 'commit-1', events: [event()], extra: true }));
    expect(decodeCommit(bytes)).toEqual({ commitId: 'commit-1', events: [event()] });
  });
  it('refuses an event of a schema version this build does not know, instead of folding it as the one it knows', () => {
    const error = refused(raw([event({ schemaVersion: 2 })]));
    expect(error.code).toBe(ErrorCode.INTERNAL);
    expect(error.details).toEqual({ type: 'KingdomRenamed', schemaVersion: 2, current: 1 });
  });
  it('refuses an event type this build does not know', () => {
    expect(refused(raw([event({ type: 'KingdomAnnexed' })])).message).toBe('unknown event type KingdomAnnexed');
    expect(refused(raw([event({ type: 'constructor' })])).code).toBe(ErrorCode.INTERNAL);
  });
});
