import type { Geometry } from '@cm/contracts';
import type { CommandClient } from '@cm/testkit';

/** How many commands the campaign scripts sent; the chaos loop watches it, and can pause them with `gate`. */
export interface Progress {
  sent: number;
  /** Every command waits for it first. */
  gate: Promise<void>;
}

const point = (i: number): Geometry => ({
  type: 'Point',
  coordinates: [(i % 360) - 180 + 0.5, ((i * 7) % 180) - 90 + 0.25],
});
const square = (i: number): Geometry => {
  const x = i % 170;
  const y = i % 80;
  return {
    type: 'Polygon',
    coordinates: [
      [
        [x, y],
        [x, y + 1],
        [x + 1, y + 1],
        [x + 1, y],
        [x, y],
      ],
    ],
  };
};

/**
 * One campaign's life, sent in order (every command of an aggregate after its creation): a map of kingdoms,
 * locations, settlements and structures; rounds of renames, level and condition changes, variables; rules and
 * a world event; a fork at the head and one at an earlier sequence, with changes in the fork; deletions
 * (a settlement delete cascades through the saga). About 370 commands.
 */
export async function campaignScript(client: CommandClient, campaignId: string, progress: Progress): Promise<void> {
  const send = async (...args: Parameters<CommandClient['must']>) => {
    await progress.gate;
    await client.must(...args);
    progress.sent += 1;
  };
  const c = campaignId;
  await send('campaign.create', c, c, { name: `Campaign ${c}` });
  await send('campaign.add-member', c, c, { userId: 'player-1', role: 'player' });
  for (let k = 0; k < 5; k += 1) await send('kingdom.create', c, `k${k}`, { name: `Kingdom ${k}` });
  for (let l = 0; l < 10; l += 1)
    await send('location.create', c, `l${l}`, { name: `Place ${l}`, geometry: l % 2 ? square(l) : point(l) });
  for (let s = 0; s < 20; s += 1)
    await send('settlement.create', c, `s${s}`, {
      kingdomId: `k${s % 5}`,
      locationId: `l${s % 10}`,
      name: `Town ${s}`,
    });
  for (let t = 0; t < 40; t += 1)
    await send('structure.create', c, `t${t}`, {
      settlementId: `s${t % 20}`,
      name: `Building ${t}`,
      structureType: 'hall',
    });
  await send('field-condition.define', c, 'fc0', {
    entityType: 'settlement',
    field: 'wealth',
    expression: { var: 'variables.gold' },
  });
  await send('field-condition.define', c, 'fc1', {
    entityType: 'kingdom',
    entityId: 'k1',
    field: 'might',
    expression: { '*': [2, 3] },
  });
  const effects = [
    {
      ownerType: 'settlement' as const,
      ownerId: 's1',
      key: 'blessed',
      value: { type: 'boolean' as const, value: true },
    },
  ];
  await send('world-event.schedule', c, 'we0', {
    name: 'Comet',
    scheduledAt: '2026-06-01T00:00:00Z',
    expiresAt: '2026-07-01T00:00:00Z',
    effects,
  });

  let earlier = 0;
  for (let r = 0; r < 30; r += 1) {
    const s = `s${r % 20}`;
    const t = `t${(r * 3) % 40}`;
    await send('settlement.rename', c, s, { name: `Town ${s} r${r}` });
    await send('settlement.set-level', c, s, { level: (r % 10) + 1 });
    await send('structure.set-level', c, t, { level: (r % 5) + 1 });
    await send('structure.set-condition', c, t, { condition: 100 - r });
    await send('state-variable.set', c, `settlement~${s}`, {
      ownerType: 'settlement',
      ownerId: s,
      key: 'gold',
      value: { type: 'number', value: r * 10 },
    });
    await send('state-variable.set', c, `kingdom~k${r % 5}`, {
      ownerType: 'kingdom',
      ownerId: `k${r % 5}`,
      key: 'state',
      value: { type: 'json', value: { round: r, tags: ['a', r] } },
    });
    await send('kingdom.rename', c, `k${r % 5}`, { name: `Kingdom ${r % 5} r${r}` });
    await send('location.reshape', c, `l${r % 10}`, { geometry: r % 2 ? point(r + 100) : square(r + 100) });
    if (r === 5)
      earlier =
        (await client.send('kingdom.rename', c, 'k0', { name: 'Kingdom zero' }).then((x) => (x.ok ? x.seq : 0))) || 0;
    if (r === 12) {
      await send('branch.fork', c, 'alt', { parentBranchId: 'main', name: 'Alternative' });
      await send('branch.fork', c, 'past', { parentBranchId: 'main', name: 'Past', atSeq: earlier });
    }
    if (r > 12 && r < 20) {
      await send('settlement.rename', c, s, { name: `Alt ${s} r${r}` }, { branchId: 'alt' });
      await send('kingdom.create', c, `alt-k${r}`, { name: `Alt kingdom ${r}` }, { branchId: 'alt' });
      await send(
        'state-variable.set',
        c,
        `settlement~${s}`,
        { ownerType: 'settlement', ownerId: s, key: 'gold', value: { type: 'number', value: -r } },
        { branchId: 'alt' },
      );
    }
  }
  await send('field-condition.update', c, 'fc0', { priority: 4, active: false });
  await send('field-condition.delete', c, 'fc1', {});
  await send('world-event.activate', c, 'we0', {});
  await send('world-event.resolve', c, 'we0', { outcome: 'omens' });
  await send('state-variable.unset', c, 'settlement~s0', { ownerType: 'settlement', ownerId: 's0', key: 'gold' });
  for (let t = 30; t < 40; t += 1) await send('structure.delete', c, `t${t}`, {});
  await send('settlement.delete', c, 's3', {});
  await send('settlement.delete', c, 's4', {}, { branchId: 'alt' });
  await send('kingdom.delete', c, 'k4', {});
  await send('location.delete', c, 'l9', {});
  await send('campaign.remove-member', c, c, { userId: 'player-1' });
  await send('campaign.rename', c, c, { name: `Campaign ${c} (done)` });
}
