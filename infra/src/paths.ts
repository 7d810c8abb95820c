import { fileURLToPath } from 'node:url';

/**
 * The repository root. This file sits at `infra/src/paths.ts` (vitest) or `infra/dist/paths.js` (built), two
 * levels below the root either way.
 */
export const repoRoot: string = fileURLToPath(new URL('../../', import.meta.url));
