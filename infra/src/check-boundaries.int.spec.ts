import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './paths.js';

// The lint target against a planted workspace in a temp dir: each rule broken once, next to look-alikes
// (imports in comments and template literals) that must not count.
const run = promisify(execFile);
const script = join(repoRoot, 'infra/scripts/check-boundaries.mjs');
let root: string;

function write(path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

const pkg = (name: string, tags: string[]) => JSON.stringify({ name, version: '0.0.0', nx: { tags } });

async function check(dir: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [script, join(root, dir)]);
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cm-boundaries-'));
  write('package.json', JSON.stringify({ name: 'ws', private: true, workspaces: ['contracts', 'platform', 'svc-a', 'svc-b', 'tools'] }));
  write('contracts/package.json', pkg('@cm/contracts', ['type:contracts']));
  write('platform/package.json', pkg('@cm/platform', ['type:platform']));
  write('svc-a/package.json', pkg('@cm/svc-a', ['type:service']));
  write('svc-b/package.json', pkg('@cm/svc-b', ['type:service']));
  write('tools/package.json', pkg('@cm/tools', ['type:tooling']));

  write('contracts/src/ok.ts', `import { z } from 'zod';\nimport { a } from './a.js';\nexport const sdl = \`import x from 'pg'\`;\n`);
  write('contracts/src/io.ts', `import { z } from 'zod';\n\nimport { readFileSync } from 'node:fs';\n`);
  write('platform/src/p.ts', `import { x } from '@cm/contracts';\nimport { handler } from '@cm/svc-a';\n`);
  write('svc-b/src/x.ts', 'export const x = 1;\n');
  write(
    'svc-a/src/bad.ts',
    [
      `import { x } from '@cm/contracts';`,
      `// import { y } from '@cm/svc-b';  (a comment: fine)`,
      `import type { Y } from '@cm/svc-b';`,
      `export { x as z } from '../../svc-b/src/x.js';`,
      `const lazy = () => import('@cm/platform/dist/nats.js');`,
      `const re = /'@cm\\/svc-b'/;`,
    ].join('\n'),
  );
  write('svc-a/src/good.ts', `import { x } from '@cm/contracts';\nimport { y } from './sub/y.js';\nimport pino from 'pino';\nimport http from 'node:http';\n`);
  write('tools/src/t.ts', `import { startSystem } from '@cm/svc-a';\n`);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('check-boundaries', () => {
  it('fails a service that imports another service, escapes its package or reaches into internals, with file:line', async () => {
    const { code, stderr } = await check('svc-a');
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^svc-a\/src\/bad\.ts:3: @cm\/svc-a may import only @cm\/contracts, @cm\/platform of the workspace, not @cm\/svc-b/),
      expect.stringMatching(/^svc-a\/src\/bad\.ts:4: relative import '\.\.\/\.\.\/svc-b\/src\/x\.js' leaves @cm\/svc-a/),
      expect.stringMatching(/^svc-a\/src\/bad\.ts:5: '@cm\/platform\/dist\/nats\.js' reaches into the internals of @cm\/platform/),
      'check-boundaries: 3 boundary violation(s) in svc-a',
    ]);
  });

  it('fails contracts on anything but zod, and platform on a service import', async () => {
    const contracts = await check('contracts');
    expect(contracts.code).toBe(1);
    expect(contracts.stderr).toMatch(/^contracts\/src\/io\.ts:3: @cm\/contracts may import only zod/m);
    expect(contracts.stderr).not.toMatch(/ok\.ts/);

    const platform = await check('platform');
    expect(platform.code).toBe(1);
    expect(platform.stderr).toMatch(/^platform\/src\/p\.ts:2: @cm\/platform .* may not import the service @cm\/svc-a/m);
  });

  it('fails tooling that imports a service instead of running it as a process', async () => {
    const { code, stderr } = await check('tools');
    expect(code).toBe(1);
    expect(stderr).toMatch(/^tools\/src\/t\.ts:1: .*not @cm\/svc-a \(services meet in @cm\/contracts/m);
  });

  it('passes a package that keeps its boundaries', async () => {
    const { code, stdout } = await check('svc-b');
    expect(code).toBe(0);
    expect(stdout).toMatch(/ok \(1 files\)/);
  });
});

describe('this workspace', () => {
  // The rules hold for the real packages too, so `npm test` fails when a service reaches into another.
  const packages = ['contracts', 'platform', 'command-service', 'query-service', 'rules-service', 'scheduler-service', 'realtime-gateway', 'infra', 'e2e'];
  it.each(packages)('%s keeps its module boundaries', async (dir) => {
    const result = await run(process.execPath, [script, join(repoRoot, dir)]).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });
});
