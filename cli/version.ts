import { readFileSync } from 'node:fs';

/** Put in by the bundler (scripts/bundle.mjs) from package.json; absent when run from the sources. */
declare const __RACKER_VERSION__: string | undefined;

/** From package.json, so --version never drifts from the package. */
export const version: string =
  typeof __RACKER_VERSION__ === 'string'
    ? __RACKER_VERSION__
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
