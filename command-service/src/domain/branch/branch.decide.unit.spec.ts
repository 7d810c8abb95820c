import { ErrorCode, type CommandPayload } from '@cm/contracts';
import { describe, expect, it } from 'vitest';
import { command, given } from '../given.test-util.js';
import { branchDecider, type BranchCommand } from './branch.decide.js';

const branch = <T extends BranchCommand['type']>(type: T, payload: CommandPayload<T>, aggregateId = 'b1') =>
  command(type, payload, { aggregateId });
const forked = { type: 'BranchForked', data: { name: 'What if', parentBranchId: 'main', forkedAtSeq: 40 } } as const;
const deleted = { type: 'BranchDeleted', data: {} } as const;

describe('branch.fork', () => {
  it('forks from main at the head of the stream', () => {
    given(branchDecider)
      .when(branch('branch.fork', { parentBranchId: 'main', name: 'What if' }), { headSeq: 40 })
      .then([forked]);
  });
  it('forks at an earlier sequence', () => {
    given(branchDecider)
      .when(branch('branch.fork', { parentBranchId: 'main', name: 'What if', atSeq: 12 }), { headSeq: 40 })
      .then([{ type: 'BranchForked', data: { name: 'What if', parentBranchId: 'main', forkedAtSeq: 12 } }]);
  });
  it('forks from another live branch', () => {
    const cmd = branch('branch.fork', { parentBranchId: 'b0', name: 'What if' }, 'b1');
    expect(branchDecider.refsOf(cmd)).toEqual([{ entityType: 'branch', entityId: 'b0' }]);
    given(branchDecider)
      .when(cmd, { headSeq: 40, refs: { 'branch:b0': 'active' } })
      .then([{ type: 'BranchForked', data: { name: 'What if', parentBranchId: 'b0', forkedAtSeq: 40 } }]);
  });
  it('needs no check for main, which always exists', () => {
    expect(branchDecider.refsOf(branch('branch.fork', { parentBranchId: 'main', name: 'What if' }))).toEqual([]);
  });
  it('rejects an existing branch', () => {
    given(branchDecider, [forked])
      .when(branch('branch.fork', { parentBranchId: 'main', name: 'What if' }), { headSeq: 40 })
      .thenThrows(ErrorCode.ALREADY_EXISTS);
  });
  it('rejects forking into main', () => {
    given(branchDecider)
      .when(branch('branch.fork', { parentBranchId: 'b0', name: 'Main' }, 'main'), { refs: { 'branch:b0': 'active' } })
      .thenThrows(ErrorCode.ALREADY_EXISTS);
  });
  it('rejects a sequence beyond the head of the stream', () => {
    given(branchDecider)
      .when(branch('branch.fork', { parentBranchId: 'main', name: 'What if', atSeq: 41 }), { headSeq: 40 })
      .thenThrows(ErrorCode.VALIDATION);
  });
  it('rejects a sequence before the campaign began', () => {
    given(branchDecider)
      .when(branch('branch.fork', { parentBranchId: 'main', name: 'What if', atSeq: 1 }), {
        headSeq: 40,
        campaignSince: 7,
      })
      .thenThrows(ErrorCode.VALIDATION, 'the campaign begins at 7');
  });
  it("forks at the campaign's first event and at the head of the stream", () => {
    const at = (atSeq: number) => branch('branch.fork', { parentBranchId: 'main', name: 'What if', atSeq });
    given(branchDecider)
      .when(at(7), { headSeq: 40, campaignSince: 7 })
      .then([{ type: 'BranchForked', data: { name: 'What if', parentBranchId: 'main', forkedAtSeq: 7 } }]);
    given(branchDecider).when(at(40), { headSeq: 40, campaignSince: 7 }).then([forked]);
  });
  it('rejects a missing parent', () => {
    given(branchDecider)
      .when(branch('branch.fork', { parentBranchId: 'b0', name: 'What if' }), { refs: { 'branch:b0': 'absent' } })
      .thenThrows(ErrorCode.NOT_FOUND, 'branch b0 not found');
  });
  it('rejects a deleted parent', () => {
    given(branchDecider)
      .when(branch('branch.fork', { parentBranchId: 'b0', name: 'What if' }), { refs: { 'branch:b0': 'deleted' } })
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('branch.rename', () => {
  it('renames the branch', () => {
    given(branchDecider, [forked])
      .when(branch('branch.rename', { name: 'What else' }))
      .then([{ type: 'BranchRenamed', data: { name: 'What else' } }]);
  });
  it('changes nothing when the name is the same', () => {
    given(branchDecider, [forked])
      .when(branch('branch.rename', { name: 'What if' }))
      .then([]);
  });
  it('rejects an absent branch', () => {
    given(branchDecider)
      .when(branch('branch.rename', { name: 'What else' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted branch', () => {
    given(branchDecider, [forked, deleted])
      .when(branch('branch.rename', { name: 'What else' }))
      .thenThrows(ErrorCode.NOT_FOUND);
  });
});

describe('branch.delete', () => {
  it('deletes the branch', () => {
    given(branchDecider, [forked]).when(branch('branch.delete', {})).then([deleted]);
  });
  it('rejects deleting main', () => {
    given(branchDecider)
      .when(branch('branch.delete', {}, 'main'))
      .thenThrows(ErrorCode.INVALID_STATE, 'the main branch cannot be deleted');
  });
  it('rejects an absent branch', () => {
    given(branchDecider).when(branch('branch.delete', {})).thenThrows(ErrorCode.NOT_FOUND);
  });
  it('rejects a deleted branch', () => {
    given(branchDecider, [forked, deleted]).when(branch('branch.delete', {})).thenThrows(ErrorCode.NOT_FOUND);
  });
});
