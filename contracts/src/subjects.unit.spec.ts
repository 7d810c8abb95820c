import { describe, expect, it } from 'vitest';
import { natsNames } from './subjects.js';

describe('NATS names', () => {
  const names = natsNames('cm');
  const address = { campaignId: 'c1', branchId: 'alt', entityType: 'state-variable', entityId: 'kingdom~k1' } as const;

  it('builds an event subject from an address and parses it back', () => {
    const subject = names.eventSubject(address);
    expect(subject).toBe('cm.evt.c1.alt.state-variable.kingdom~k1');
    expect(names.parseEventSubject(subject)).toEqual(address);
  });
  it('refuses to parse what is not an event subject of its namespace', () => {
    expect(() => names.parseEventSubject('cm.cmd.kingdom.create')).toThrow(/not an event subject/);
    expect(() => names.parseEventSubject('other.evt.c1.main.kingdom.k1')).toThrow(/not an event subject/);
    expect(() => names.parseEventSubject('cm.evt.c1.main.kingdom')).toThrow(/not an event subject/);
  });
  it('builds filters that match the subjects they are for', () => {
    expect(names.entityTypeFilter('c1', 'main', 'structure')).toBe('cm.evt.c1.main.structure.>');
    expect(names.campaignFilter('c1')).toBe('cm.evt.c1.*.>');
    expect(names.campaignFilter('c1', 'alt')).toBe('cm.evt.c1.alt.>');
    expect(names.commandSubject('kingdom.rename')).toBe('cm.cmd.kingdom.rename');
  });
  it('derives every name from the namespace, upper-cased where JetStream names want it', () => {
    const test = natsNames('t-1a.b');
    expect(test.eventStream).toBe('T_1A_B_EVENTS');
    expect(test.leaseBucket).toBe('T_1A_B_leases');
    expect(test.eventWildcard).toBe('t-1a.b.evt.>');
    expect(test.checkpointSubject('postgres')).toBe('t-1a.b.chk.postgres');
    expect(test.projectionConsumer('postgres')).toBe('projection-postgres');
  });
});
