/**
 * Byte progress from long operations (downloads, extraction) to whoever draws it: the CLI
 * draws a bar on a terminal and passes no meter otherwise, and then the operation prints
 * its occasional plain lines instead (CI logs stay readable).
 */
export type Meter = (what: string, done: number, total?: number) => void;
