#!/usr/bin/env node
// The `lint` target of every package: enforces the module boundaries of DESIGN §1 and STYLE habit 2 on the
// imports of <packageDir>/src/**/*.ts (tests included). Services meet only in `@cm/contracts` and share
// `@cm/platform`; infra and e2e run services as processes, so they may not import them either (e2e may use the
// launcher of `@cm/infra`); `contracts` imports nothing but zod; no relative import leaves its package.
// Exits 1 with `file:line: message` lines when a rule is broken.
//
// Usage: node infra/scripts/check-boundaries.mjs <packageDir>
//   <packageDir> is absolute, or relative to the workspace root (where the npm scripts pass a package name).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Workspace packages every package may import. */
const SHARED = new Set(['@cm/contracts', '@cm/platform']);
/** Bare imports `contracts` may use: the vocabulary carries schemas, nothing that does I/O. */
const CONTRACTS_ALLOWED = new Set(['zod']);
/** Its own tests may also use the test runner. */
const CONTRACTS_TEST_ALLOWED = new Set(['zod', 'vitest']);
/** The whole-system tests start the system with the launcher of `@cm/infra`, the one way to run it. */
const E2E_ALLOWED = new Set([...SHARED, '@cm/infra']);
const isTestFile = (file) => /\.(spec|test-util)\.ts$/.test(file);

// --- a tiny TypeScript lexer ---------------------------------------------------------------------------------
// Regexes over raw text would match `from '...'` inside comments, template literals (the GraphQL SDL) and
// strings, so we tokenize just enough to see string literals and the identifiers in front of them.

const KEYWORDS_BEFORE_EXPRESSION = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

/** Tokens: `{ kind: 'id' | 'str' | 'punct', value, line }`; comments, template literals and regexes are skipped. */
export function tokenize(src) {
  const tokens = [];
  let i = 0;
  let line = 1;
  const n = src.length;
  const last = () => tokens[tokens.length - 1];
  const regexAllowed = () => {
    const t = last();
    if (!t) return true;
    if (t.kind === 'str') return false;
    if (t.kind === 'id') return KEYWORDS_BEFORE_EXPRESSION.has(t.value);
    return !(t.value === ')' || t.value === ']' || t.value === '}');
  };
  while (i < n) {
    const c = src[i];
    if (c === '\n') { line += 1; i += 1; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i += 1; continue; }
    if (c === '/' && src[i + 1] === '/') { while (i < n && src[i] !== '\n') i += 1; continue; }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      for (let j = i; j < stop; j += 1) if (src[j] === '\n') line += 1;
      i = stop;
      continue;
    }
    if (c === "'" || c === '"') {
      const startLine = line;
      let value = '';
      i += 1;
      while (i < n && src[i] !== c) {
        if (src[i] === '\\') { value += src[i + 1] ?? ''; i += 2; continue; }
        if (src[i] === '\n') break; // unterminated: give up on this literal
        value += src[i];
        i += 1;
      }
      i += 1;
      tokens.push({ kind: 'str', value, line: startLine });
      continue;
    }
    if (c === '`') {
      // Template literal; `${...}` holes may nest further templates, so track depth.
      i += 1;
      let depth = 0;
      while (i < n) {
        const d = src[i];
        if (d === '\n') line += 1;
        if (d === '\\') { i += 2; continue; }
        if (depth === 0 && d === '`') { i += 1; break; }
        if (d === '$' && src[i + 1] === '{') { depth += 1; i += 2; continue; }
        if (depth > 0 && d === '}') depth -= 1;
        i += 1;
      }
      tokens.push({ kind: 'punct', value: '`', line });
      continue;
    }
    if (c === '/' && regexAllowed()) {
      let inClass = false;
      i += 1;
      while (i < n && src[i] !== '\n') {
        const d = src[i];
        if (d === '\\') { i += 2; continue; }
        if (d === '[') inClass = true;
        else if (d === ']') inClass = false;
        else if (d === '/' && !inClass) { i += 1; break; }
        i += 1;
      }
      while (i < n && /[a-z]/i.test(src[i])) i += 1;
      tokens.push({ kind: 'punct', value: '/re/', line });
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w$]/.test(src[j])) j += 1;
      tokens.push({ kind: 'id', value: src.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w.]/.test(src[j])) j += 1;
      tokens.push({ kind: 'id', value: '0', line }); // numbers behave like identifiers for the regex rule
      i = j;
      continue;
    }
    tokens.push({ kind: 'punct', value: c, line });
    i += 1;
  }
  return tokens;
}

/** Every module specifier of a source text: static imports and re-exports, side-effect and dynamic imports, require. */
export function findImports(src) {
  const tokens = tokenize(src);
  const out = [];
  for (let k = 0; k < tokens.length; k += 1) {
    const t = tokens[k];
    if (t.kind !== 'str') continue;
    const prev = tokens[k - 1];
    const prev2 = tokens[k - 2];
    const isFrom = prev?.kind === 'id' && (prev.value === 'from' || (prev.value === 'import' && tokens[k - 2]?.value !== '.'));
    const isCall = prev?.value === '(' && prev2?.kind === 'id' && (prev2.value === 'import' || prev2.value === 'require');
    if (isFrom || isCall) out.push({ specifier: t.value, line: t.line });
  }
  return out;
}

// --- the workspace ---------------------------------------------------------------------------------------------

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** The nearest ancestor (or self) whose package.json declares workspaces; falls back to this repository. */
function findWorkspaceRoot(from) {
  for (let dir = from; ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && readJson(pkg).workspaces) return dir;
    if (dirname(dir) === dir) return resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  }
}

/** Workspace package name → its directory. */
function workspacePackages(root) {
  const map = new Map();
  for (const entry of readJson(join(root, 'package.json')).workspaces ?? []) {
    const pkgFile = join(root, entry, 'package.json');
    if (existsSync(pkgFile)) map.set(readJson(pkgFile).name, resolve(root, entry));
  }
  return map;
}

function listTs(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listTs(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) out.push(p);
  }
  return out.sort();
}

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const BUILTINS = new Set(builtinModules);
const isBuiltin = (s) => s.startsWith('node:') || BUILTINS.has(packageOf(s));

/**
 * Checks one package; returns violations as `{ file, line, message }` with `file` relative to the workspace root.
 */
export function checkPackage(packageDir) {
  const root = findWorkspaceRoot(packageDir);
  const packages = workspacePackages(root);
  const manifest = readJson(join(packageDir, 'package.json'));
  const self = manifest.name;
  const allowed = (manifest.nx?.tags ?? []).includes('type:e2e') ? E2E_ALLOWED : SHARED;
  const services = new Set([...packages.keys()].filter((name) => {
    const tags = readJson(join(packages.get(name), 'package.json')).nx?.tags ?? [];
    return tags.includes('type:service');
  }));
  const violations = [];
  for (const file of listTs(join(packageDir, 'src'))) {
    const rel = relative(root, file);
    const report = (line, message) => violations.push({ file: rel, line, message });
    for (const { specifier, line } of findImports(readFileSync(file, 'utf8'))) {
      if (specifier.startsWith('.') || isAbsolute(specifier)) {
        const target = resolve(dirname(file), specifier);
        if (target !== packageDir && !target.startsWith(packageDir + sep)) {
          report(line, `relative import '${specifier}' leaves ${self}; import the package by name (@cm/contracts or @cm/platform)`);
        }
        continue;
      }
      const pkg = packageOf(specifier);
      if (self === '@cm/contracts') {
        if (!(isTestFile(file) ? CONTRACTS_TEST_ALLOWED : CONTRACTS_ALLOWED).has(pkg)) {
          report(line, `@cm/contracts may import only ${[...CONTRACTS_ALLOWED].join(', ')} and its own files (no I/O): found '${specifier}'`);
        }
        continue;
      }
      if (isBuiltin(specifier) || !packages.has(pkg) || pkg === self) continue;
      if (self === '@cm/platform' && services.has(pkg)) {
        report(line, `@cm/platform is shared by every service and may not import the service ${pkg}`);
      } else if (!allowed.has(pkg)) {
        const why = services.has(pkg) ? ' (services meet in @cm/contracts; infra and e2e run them as processes)' : '';
        report(line, `${self} may import only ${[...allowed].join(', ')} of the workspace, not ${pkg}${why}`);
      } else if (specifier !== pkg) {
        report(line, `'${specifier}' reaches into the internals of ${pkg}; import '${pkg}' itself`);
      }
    }
  }
  return violations;
}

function main() {
  const arg = process.argv[2];
  if (!arg || arg === '--help' || arg === '-h') {
    process.stderr.write('usage: check-boundaries.mjs <packageDir>\n');
    process.exit(arg ? 0 : 2);
  }
  const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  const candidates = isAbsolute(arg) ? [arg] : [resolve(repoRoot, arg), resolve(process.cwd(), arg)];
  const packageDir = candidates.find((d) => existsSync(join(d, 'package.json')));
  if (!packageDir) {
    process.stderr.write(`check-boundaries: no package.json in ${candidates.join(' or ')}\n`);
    process.exit(2);
  }
  const violations = checkPackage(packageDir);
  const label = relative(findWorkspaceRoot(packageDir), packageDir) || packageDir;
  for (const v of violations) process.stderr.write(`${v.file}:${v.line}: ${v.message}\n`);
  if (violations.length > 0) {
    process.stderr.write(`check-boundaries: ${violations.length} boundary violation(s) in ${label}\n`);
    process.exit(1);
  }
  process.stdout.write(`check-boundaries: ${label} ok (${listTs(join(packageDir, 'src')).length} files)\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
