import { describe, expect, it } from 'vitest';
import { AppError, natsNames } from '@cm/contracts';
import { subscriptionRequestOf } from './graphql-subscription.js';
import { parseEventsRequest } from './sse-request.js';

const names = natsNames('cm');
const parse = (q: string, lastEventId?: string) =>
  parseEventsRequest(new URL(`http://g/events?${q}`), lastEventId, names);
const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'none';
  } catch (e) {
    return e instanceof AppError ? `${e.code}:${String(e.details?.field)}` : 'other';
  }
};

describe('plain SSE request', () => {
  it('maps a campaign request to its room, filter subject and resume point', () => {
    expect(parse('campaign=crown&types=KingdomRenamed,KingdomCreated&coalesce=0', '41')).toEqual({
      room: 'campaign:crown:main',
      campaignId: 'crown',
      types: new Set(['KingdomRenamed', 'KingdomCreated']),
      coalesce: false,
      resumeAfter: 41,
      filter: 'cm.evt.crown.main.>',
    });
    expect(parse('campaign=crown&branch=alt&entity=state-variable:campaign~crown&lastEventId=7')).toMatchObject({
      room: 'state-variable:campaign~crown:alt',
      filter: 'cm.evt.crown.alt.state-variable.campaign~crown',
      resumeAfter: 7,
      coalesce: true,
    });
  });

  it('prefers the Last-Event-ID header to the query parameter (EventSource sends the header on reconnect)', () => {
    expect(parse('campaign=crown&lastEventId=0', '99').resumeAfter).toBe(99);
  });

  it('names the bad field of a malformed request', () => {
    expect(codeOf(() => parse('branch=main'))).toBe('VALIDATION:campaign');
    expect(codeOf(() => parse('campaign=a.b'))).toBe('VALIDATION:campaign');
    expect(codeOf(() => parse('campaign=c&types=Nope'))).toBe('VALIDATION:types');
    expect(codeOf(() => parse('campaign=c&entity=kingdom'))).toBe('VALIDATION:entity');
    expect(codeOf(() => parse('campaign=c', 'x1'))).toBe('VALIDATION:lastEventId');
    expect(codeOf(() => parse('campaign=c&coalesce=maybe'))).toBe('VALIDATION:coalesce');
  });
});

describe('GraphQL subscription request', () => {
  it('maps each root field to its room', () => {
    expect(
      subscriptionRequestOf(
        'campaignEvents',
        { campaignId: 'crown', branchId: 'main', types: ['KingdomRenamed'], after: 5, coalesce: false },
        names,
      ),
    ).toEqual({
      room: 'campaign:crown:main',
      campaignId: 'crown',
      types: new Set(['KingdomRenamed']),
      coalesce: false,
      resumeAfter: 5,
      filter: 'cm.evt.crown.main.>',
    });
    expect(
      subscriptionRequestOf('settlementUpdated', { id: 's1', branchId: 'main', coalesce: true }, names),
    ).toMatchObject({ room: 'settlement:s1:main', campaignId: undefined, filter: 'cm.evt.*.main.settlement.s1' });
    expect(
      subscriptionRequestOf('entityModified', { entityType: 'structure', entityId: 'x', branchId: 'b' }, names),
    ).toMatchObject({ room: 'structure:x:b' });
  });

  it('refuses malformed ids with VALIDATION', () => {
    expect(codeOf(() => subscriptionRequestOf('structureUpdated', { id: 'no spaces' }, names))).toBe('VALIDATION:id');
  });
});
