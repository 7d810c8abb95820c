import { describe, expect, it } from 'vitest';
import { AppError, ErrorCode } from './errors.js';
import { polygonProblem } from './geometry.js';
import { parseCommand } from './validation.js';

const envelope = (payload: unknown) => ({
  commandId: 'cmd-1',
  type: 'location.create',
  campaignId: 'c1',
  branchId: 'main',
  aggregateId: 'l1',
  actor: { userId: 'u1' },
  correlationId: 'corr-1',
  issuedAt: '2026-11-29T00:00:00.000Z',
  payload,
});

/** The VALIDATION message a location.create with this geometry gets at the command. */
function rejection(geometry: unknown): string {
  try {
    parseCommand(envelope({ name: 'Somewhere', geometry }));
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe(ErrorCode.VALIDATION);
    return (e as AppError).message;
  }
  throw new Error('accepted');
}

const square = [
  [0, 0],
  [10, 0],
  [10, 10],
  [0, 10],
  [0, 0],
];

describe('geometry validation at the command', () => {
  it('accepts points, a square, a square with a hole, and a triangle', () => {
    expect(
      parseCommand(envelope({ name: 'P', geometry: { type: 'Point', coordinates: [179.999, -89.5] } })).payload,
    ).toBeTruthy();
    for (const coordinates of [
      [square],
      [
        square,
        [
          [2, 2],
          [2, 4],
          [4, 4],
          [4, 2],
          [2, 2],
        ],
      ],
      [
        [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 0],
        ],
      ],
    ]) {
      expect(parseCommand(envelope({ name: 'R', geometry: { type: 'Polygon', coordinates } })).payload).toBeTruthy();
    }
  });

  it.each([
    [
      'a self-intersecting polygon (a bow tie)',
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [10, 10],
            [10, 0],
            [0, 10],
            [0, 0],
          ],
        ],
      },
      /self-intersecting polygon: ring 0 intersects itself/,
    ],
    [
      'a ring touching itself at a vertex',
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [4, 0],
            [2, 2],
            [4, 4],
            [0, 4],
            [2, 2],
            [0, 0],
          ],
        ],
      },
      /ring 0 intersects itself/,
    ],
    [
      'a spike folding back on its edge',
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [10, 0],
            [5, 0],
            [5, 5],
            [0, 0],
          ],
        ],
      },
      /ring 0 intersects itself/,
    ],
    [
      'a hole crossing the shell',
      {
        type: 'Polygon',
        coordinates: [
          square,
          [
            [5, 5],
            [15, 5],
            [15, 6],
            [5, 6],
            [5, 5],
          ],
        ],
      },
      /rings 0 and 1 intersect/,
    ],
    [
      'a latitude out of range',
      { type: 'Point', coordinates: [10, 91] },
      /coordinates\.1 latitude must be between -90 and 90/,
    ],
    ['a longitude out of range', { type: 'Point', coordinates: [-180.5, 0] }, /longitude must be between -180 and 180/],
    ['a NaN coordinate', { type: 'Point', coordinates: [Number.NaN, 0] }, /longitude is NaN/],
    [
      'an infinite coordinate',
      { type: 'Point', coordinates: [0, Number.POSITIVE_INFINITY] },
      /latitude must be a finite number/,
    ],
    [
      'an unclosed ring',
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [1, 1],
            [0, 1],
          ],
        ],
      },
      /a linear ring must be closed/,
    ],
    [
      'a ring of three positions',
      {
        type: 'Polygon',
        coordinates: [
          [
            [0, 0],
            [1, 0],
            [0, 0],
          ],
        ],
      },
      /at least 4 positions/,
    ],
  ])('rejects %s with VALIDATION naming the problem', (_name, geometry, message) => {
    expect(rejection(geometry)).toMatch(message);
  });

  it('polygonProblem is null for a valid polygon and names both edges of a crossing', () => {
    expect(polygonProblem([square])).toBeNull();
    expect(
      polygonProblem([
        [
          [0, 0],
          [10, 10],
          [10, 0],
          [0, 10],
          [0, 0],
        ],
      ]),
    ).toBe('ring 0 intersects itself (edges 0 and 2)');
  });
});
