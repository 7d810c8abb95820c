import { describe, expect, it } from 'vitest';
import { aggregateOf, isCommandType } from './commands.js';
import { AppError, ErrorCode } from './errors.js';
import { parseCommand } from './validation.js';

const envelope = (over: Record<string, unknown> = {}) => ({
  commandId: 'cmd-1',
  type: 'settlement.create',
  campaignId: 'c1',
  branchId: 'main',
  aggregateId: 's1',
  payload: { kingdomId: 'k1', locationId: 'l1', name: 'Riverford' },
  actor: { userId: 'u1' },
  correlationId: 'corr-1',
  issuedAt: '2024-05-01T12:00:00.000Z',
  ...over,
});

function validationIssues(raw: unknown): { message: string; paths: string[] } {
  try {
    parseCommand(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe(ErrorCode.VALIDATION);
    const issues = (e as AppError).details?.issues as { path: string }[];
    return { message: (e as AppError).message, paths: issues.map((i) => i.path) };
  }
  throw new Error('parseCommand accepted it');
}

describe('parseCommand', () => {
  it('accepts a valid command and applies the payload defaults', () => {
    const command = parseCommand(envelope());
    expect(command.type).toBe('settlement.create');
    expect(command.payload).toEqual({ kingdomId: 'k1', locationId: 'l1', name: 'Riverford', level: 1 });
  });
  it('needs a payload, even an empty one', () => {
    const { payload: _omitted, ...rest } = envelope({ type: 'kingdom.delete' });
    expect(validationIssues(rest).paths).toEqual(['payload']);
    expect(parseCommand(envelope({ type: 'kingdom.delete', payload: {} })).payload).toEqual({});
  });
  it('rejects an unknown command type', () => {
    expect(validationIssues(envelope({ type: 'kingdom.explode' })).paths).toEqual(['type']);
  });
  it('rejects an unknown envelope field and an unknown payload field', () => {
    expect(validationIssues(envelope({ extra: 1 })).message).toMatch(/^invalid command/);
    const bad = validationIssues(
      envelope({ payload: { kingdomId: 'k1', locationId: 'l1', name: 'R', colour: 'red' } }),
    );
    expect(bad.message).toMatch(/^invalid settlement\.create payload/);
  });
  it('names each bad payload field', () => {
    const bad = validationIssues(envelope({ payload: { kingdomId: 'k.1', locationId: 'l1', name: ' ', level: 101 } }));
    expect(bad.paths.sort()).toEqual(['kingdomId', 'level', 'name']);
  });
  it('rejects ids that could not be subject tokens and command ids that could not be message ids', () => {
    expect(validationIssues(envelope({ campaignId: 'c.1' })).paths).toEqual(['campaignId']);
    expect(validationIssues(envelope({ branchId: 'a>b' })).paths).toEqual(['branchId']);
    expect(validationIssues(envelope({ commandId: 'has space' })).paths).toEqual(['commandId']);
  });
  it('rejects a time without an offset', () => {
    expect(validationIssues(envelope({ issuedAt: 'yesterday' })).paths).toEqual(['issuedAt']);
  });
});

describe('command types', () => {
  it('names the aggregate before the dot, including hyphenated ones', () => {
    expect(aggregateOf('kingdom.rename')).toBe('kingdom');
    expect(aggregateOf('state-variable.set')).toBe('state-variable');
    expect(aggregateOf('field-condition.define')).toBe('field-condition');
  });
  it('knows only its own types, not inherited object keys', () => {
    expect(isCommandType('campaign.create')).toBe(true);
    expect(isCommandType('toString')).toBe(false);
    expect(isCommandType('campaign.destroy')).toBe(false);
  });
});
