#!/usr/bin/env node
// Runs dependency-cruiser (its own command line, unchanged) with the TypeScript 5 of this package. The workspace
// compiles with TypeScript 7, which has no JavaScript API to parse with, and dependency-cruiser looks for
// `typescript` next to itself; a resolve hook answers exactly its lookups from here, so nothing else sees this copy.
//
// Usage: node lint/depcruise.mjs [dependency-cruiser options] <dirs...>   (see `npm run lint`)
import { createRequire, registerHooks } from 'node:module';
import { pathToFileURL } from 'node:url';

const here = new URL('./package.json', import.meta.url).href;
const requireHere = createRequire(here);

registerHooks({
  resolve(specifier, context, next) {
    const fromCruiser = context.parentURL?.includes('/node_modules/dependency-cruiser/') ?? false;
    if (fromCruiser && (specifier === 'typescript' || specifier.startsWith('typescript/'))) {
      return { url: pathToFileURL(requireHere.resolve(specifier)).href, shortCircuit: true };
    }
    return next(specifier, context);
  },
});

const main = import.meta.resolve('dependency-cruiser', here);
await import(new URL('../../bin/dependency-cruiser.mjs', main).href);
