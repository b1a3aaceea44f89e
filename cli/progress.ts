/**
 * Progress on stderr: on a terminal one live line, rewritten in place; in CI logs and
 * pipes, plain lines (a rewritten line would be noise there).
 */
export interface Progress {
  line(text: string): void;
  /** End the live line so the next output starts clean. */
  done(): void;
}

export function progress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return { line: (t) => void stream.write(`${t}\n`), done: () => {} };
  let live = false;
  const width = () => Math.max(20, (stream.columns || 80) - 1);
  return {
    line: (t) => {
      stream.write(`\r\x1b[K${t.length > width() ? `${t.slice(0, width() - 1)}…` : t}`);
      live = true;
    },
    done: () => {
      if (live) stream.write('\r\x1b[K');
      live = false;
    },
  };
}
