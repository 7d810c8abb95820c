import { describe, expect, it } from 'vitest';
import { natsNames, type EventAddress } from './subjects.js';

describe('NATS names', () => {
  const names = natsNames('t1a');

  it('derives every stream, bucket and wildcard from the prefix', () => {
    expect(names).toMatchObject({
      prefix: 't1a',
      eventStream: 'T1A_EVENTS',
      eventWildcard: 't1a.evt.>',
      jobStream: 'T1A_JOBS',
      jobWildcard: 't1a.job.>',
      commandWildcard: 't1a.cmd.>',
      leaseBucket: 'T1A_leases',
      rulesEvaluateSubject: 't1a.rules.evaluate',
    });
    expect(natsNames().eventStream).toBe('CM_EVENTS');
    expect(names.sagaConsumer('settlement-cascade')).toBe('saga-settlement-cascade');
  });

  it('builds the subject of an event and parses it back to the same address', () => {
    const address: EventAddress = { campaignId: 'c_1', branchId: 'main', entityType: 'kingdom', entityId: 'k_9' };
    const subject = names.eventSubject(address);
    expect(subject).toBe('t1a.evt.c_1.main.kingdom.k_9');
    expect(names.parseEventSubject(subject)).toEqual(address);
  });

  it('refuses to parse what is not an event subject of this prefix', () => {
    expect(() => names.parseEventSubject('t1a.evt.c_1.main.kingdom')).toThrow(/not an event subject/);
    expect(() => names.parseEventSubject('cm.evt.c_1.main.kingdom.k_9')).toThrow(/not an event subject/);
    expect(() => names.parseEventSubject('t1a.cmd.c_1.main.kingdom.k_9')).toThrow(/not an event subject/);
  });

  it('builds filters that the event subjects they should match fall under', () => {
    expect(names.campaignFilter('c_1')).toBe('t1a.evt.c_1.*.>');
    expect(names.campaignFilter('c_1', 'b_2')).toBe('t1a.evt.c_1.b_2.>');
    expect(names.entityTypeFilter('c_1', '*', 'settlement')).toBe('t1a.evt.c_1.*.settlement.>');
  });

  it('names command subjects, checkpoints and projection consumers', () => {
    expect(names.commandSubject('kingdom.create')).toBe('t1a.cmd.kingdom.create');
    expect(names.checkpointSubject('postgres')).toBe('t1a.chk.postgres');
    expect(names.projectionConsumer('postgres')).toBe('projection-postgres');
  });

  it('keeps hyphenated aggregate types and composite ids intact, and makes any prefix a valid stream name', () => {
    const address: EventAddress = {
      campaignId: 'c1',
      branchId: 'alt',
      entityType: 'state-variable',
      entityId: 'kingdom~k1',
    };
    expect(names.parseEventSubject(names.eventSubject(address))).toEqual(address);
    expect(natsNames('t-1a.b').eventStream).toBe('T_1A_B_EVENTS');
  });
});
