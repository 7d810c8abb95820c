/*
 * Pure checks of GeoJSON Polygons that a schema cannot state field by field: a ring that crosses itself, or
 * rings that cross each other, make a polygon PostGIS calls invalid (ST_IsValid), and spatial queries over it
 * answer nonsense. Edges are straight in longitude/latitude, as GeoJSON draws them (RFC 7946 §3.1.1).
 */

type Position = readonly [number, number] | readonly number[];

/** Twice the signed area of the triangle a, b, c: > 0 when c lies left of a→b, 0 when collinear. */
function orient(a: Position, b: Position, c: Position): number {
  return (b[0]! - a[0]!) * (c[1]! - a[1]!) - (b[1]! - a[1]!) * (c[0]! - a[0]!);
}

function onSegment(a: Position, b: Position, p: Position): boolean {
  return (
    Math.min(a[0]!, b[0]!) <= p[0]! &&
    p[0]! <= Math.max(a[0]!, b[0]!) &&
    Math.min(a[1]!, b[1]!) <= p[1]! &&
    p[1]! <= Math.max(a[1]!, b[1]!)
  );
}

/** Whether the closed segments a–b and c–d share any point. */
function segmentsTouch(a: Position, b: Position, c: Position, d: Position): boolean {
  const [o1, o2, o3, o4] = [orient(a, b, c), orient(a, b, d), orient(c, d, a), orient(c, d, b)];
  if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0))) return true;
  return (
    (o1 === 0 && onSegment(a, b, c)) ||
    (o2 === 0 && onSegment(a, b, d)) ||
    (o3 === 0 && onSegment(c, d, a)) ||
    (o4 === 0 && onSegment(c, d, b))
  );
}

const same = (a: Position, b: Position) => a[0] === b[0] && a[1] === b[1];

/**
 * The first problem of a Polygon's rings (already closed and of at least four positions), or null. Adjacent
 * edges of a ring may share only their common vertex; any other contact between edges, of one ring or of two,
 * is a crossing. O(n²) in the number of edges, fine for the hand-drawn regions of a campaign map.
 */
export function polygonProblem(rings: readonly (readonly Position[])[]): string | null {
  const edges: { ring: number; index: number; a: Position; b: Position }[] = [];
  rings.forEach((ring, r) => {
    for (let i = 0; i + 1 < ring.length; i++) edges.push({ ring: r, index: i, a: ring[i]!, b: ring[i + 1]! });
  });
  for (let x = 0; x < edges.length; x++) {
    for (let y = x + 1; y < edges.length; y++) {
      const [e, f] = [edges[x]!, edges[y]!];
      if (!segmentsTouch(e.a, e.b, f.a, f.b)) continue;
      if (e.ring === f.ring) {
        const count = rings[e.ring]!.length - 1;
        const adjacent = f.index === e.index + 1 || (e.index === 0 && f.index === count - 1);
        // Neighbours meet at their shared vertex; they cross only if they also overlap (a spike folding back).
        if (adjacent && !overlapBeyondVertex(e.a, e.b, f.a, f.b)) continue;
        return `ring ${e.ring} intersects itself (edges ${e.index} and ${f.index})`;
      }
      return `rings ${e.ring} and ${f.ring} intersect (edges ${e.index} and ${f.index})`;
    }
  }
  return null;
}

/** Two edges sharing a vertex overlap beyond it when they are collinear and point the same way from it. */
function overlapBeyondVertex(a: Position, b: Position, c: Position, d: Position): boolean {
  const shared = same(b, c) ? b : same(a, d) ? a : same(a, c) ? a : b;
  const other1 = same(a, shared) ? b : a;
  const other2 = same(c, shared) ? d : c;
  if (orient(shared, other1, other2) !== 0) return false;
  const dot =
    (other1[0]! - shared[0]!) * (other2[0]! - shared[0]!) + (other1[1]! - shared[1]!) * (other2[1]! - shared[1]!);
  return dot > 0;
}
