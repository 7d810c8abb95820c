import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './paths.js';

// The boundary rules (.dependency-cruiser.cjs) run by the real dependency-cruiser over a planted workspace in a
// temp dir: each rule broken once, next to imports that keep the rules and must not count.
const run = promisify(execFile);
const runner = join(repoRoot, 'lint/depcruise.mjs');
const rules = join(repoRoot, '.dependency-cruiser.cjs');
let root: string;

function write(path: string, content: string): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), content);
}

/** Runs the linter in `cwd` over `dirs` as `npm run lint` does; its exit code and the violations it printed, sorted. */
async function cruise(cwd: string, dirs: string[]): Promise<{ code: number; violations: string[]; stdout: string }> {
  const args = [runner, '--config', rules, ...dirs];
  const { code, stdout } = await run(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024 }).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  // `  error <rule>: <from> → <to>`, one line per violation.
  const violations = [...stdout.matchAll(/^\s*error (\S+: .+)$/gm)].map((m) => m[1]!).sort();
  return { code, violations, stdout };
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cm-boundaries-'));
  copyFileSync(join(repoRoot, 'tsconfig.lint.json'), join(root, 'tsconfig.lint.json'));
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  for (const pkg of ['contracts', 'platform', 'command-service', 'query-service', 'infra', 'e2e', 'testkit']) {
    write(`${pkg}/src/index.ts`, 'export const name = 1;\n');
  }
  write(
    'contracts/src/ok.ts',
    `import { z } from 'zod';\nexport const sdl = \`import x from 'pg'\`;\nexport const s = z;\n`,
  );
  write('contracts/src/io.ts', `import { readFileSync } from 'node:fs';\nexport const r = readFileSync;\n`);
  write(
    'platform/src/p.ts',
    `import { name } from '@cm/contracts';\nimport { name as q } from '@cm/query-service';\nexport const p = [name, q];\n`,
  );
  write(
    'command-service/src/domain/ok.decide.ts',
    `import { name } from '@cm/contracts';\nimport { g } from './guards.js';\nexport const d = [name, g];\n`,
  );
  write('command-service/src/domain/guards.ts', 'export const g = 1;\n');
  write('command-service/src/domain/bad.decide.ts', `import { name } from '@cm/platform';\nexport const d = name;\n`);
  write(
    'command-service/src/domain/ok.decide.unit.spec.ts',
    `import { it } from 'vitest';\nimport { d } from './ok.decide.js';\nit('x', () => d);\n`,
  );
  write(
    'command-service/src/adapter.ts',
    `import { name } from '@cm/platform';\nimport { d } from './domain/ok.decide.js';\nexport const a = [name, d];\n`,
  );
  write(
    'query-service/src/bad.ts',
    [
      `import type { name as Y } from '@cm/command-service';`,
      `// import { y } from '@cm/command-service';  (a comment: fine)`,
      `export { a } from '../../command-service/src/adapter.js';`,
      `export const lazy = () => import('@cm/platform/dist/nats.js');`,
      `export type Z = typeof Y;`,
    ].join('\n'),
  );
  write('query-service/src/helper.ts', `import { name } from '@cm/testkit';\nexport const h = name;\n`);
  write('query-service/src/helper.int.spec.ts', `import { name } from '@cm/testkit';\nexport const h = name;\n`);
  write('infra/src/t.ts', `import { name } from '@cm/command-service';\nexport const t = name;\n`);
  write(
    'e2e/src/ok.e2e.spec.ts',
    `import { name } from '@cm/infra';\nimport { name as k } from '@cm/testkit';\nexport const e = [name, k];\n`,
  );
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('module boundaries (dependency-cruiser)', () => {
  it('reports each broken rule with the importing and the imported file, and exits non-zero', async () => {
    const dirs = [
      'contracts/src',
      'platform/src',
      'command-service/src',
      'query-service/src',
      'infra/src',
      'e2e/src',
      'testkit/src',
    ];
    const { code, violations } = await cruise(root, dirs);
    expect(violations).toEqual([
      'contracts-imports-only-zod: contracts/src/io.ts → fs',
      'deciders-import-only-contracts: command-service/src/domain/bad.decide.ts → platform/src/index.ts',
      'infra-runs-services-as-processes: infra/src/t.ts → command-service/src/index.ts',
      'no-unresolvable-import: query-service/src/bad.ts → @cm/platform/dist/nats.js',
      'platform-imports-only-contracts: platform/src/p.ts → query-service/src/index.ts',
      'relative-import-leaves-package: query-service/src/bad.ts → command-service/src/adapter.ts',
      'services-meet-in-contracts: query-service/src/bad.ts → command-service/src/adapter.ts',
      'services-meet-in-contracts: query-service/src/bad.ts → command-service/src/index.ts',
      'testkit-only-in-tests: query-service/src/helper.ts → testkit/src/index.ts',
    ]);
    expect(code).not.toBe(0);
  });

  it('passes a tree that keeps the rules', async () => {
    const { code, violations } = await cruise(root, ['e2e/src', 'testkit/src']);
    expect(violations).toEqual([]);
    expect(code).toBe(0);
  });
});

describe('this workspace', () => {
  // The rules hold for the real packages too, so `npm test` fails when a service reaches into another.
  it('keeps its module boundaries', async () => {
    const dirs = [
      'contracts',
      'platform',
      'command-service',
      'query-service',
      'rules-service',
      'scheduler-service',
      'realtime-gateway',
      'infra',
      'e2e',
      'testkit',
    ];
    const { code, violations, stdout } = await cruise(
      repoRoot,
      dirs.map((d) => `${d}/src`),
    );
    expect(violations).toEqual([]);
    // It really looked: a missing directory or a tool that parsed nothing would also report no violations.
    expect(Number(/no dependency violations found \((\d+) modules/.exec(stdout)?.[1] ?? 0)).toBeGreaterThan(200);
    expect(code).toBe(0);
  }, 120_000);
});
