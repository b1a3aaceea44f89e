import { readFileSync } from 'node:fs';

/** Read once from package.json next to dist/, so --version never drifts from the package. */
export const version: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
