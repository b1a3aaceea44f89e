/**
 * docker's `--format` templates: Go's text/template language as docker's CLI uses it, on
 * plain JSON-like values. Actions `{{.Field.Sub}}`, `{{.}}`, `{{$}}`, literals, pipelines
 * (`{{.Name | upper}}`), `if`/`else if`/`else`, `range`, `with`, `end`, comments and `{{-`/`-}}`
 * trimming; docker's functions (json, join, split, upper, lower, title, println, truncate,
 * pad) and Go's (len, index, printf, print, eq, ne, lt, le, gt, ge, not, and, or). Values
 * print as Go's %v does: arrays as `[a b]`, objects as `map[k:v]`, a missing field as
 * `<no value>`. A `table` prefix (ps, images) adds a header row and aligns the columns at
 * their tabs, as docker's tabwriter does.
 */
import { UsageError } from '../errors.js';

type Value = unknown;

interface Pipeline {
  commands: string[][];
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'print'; pipe: Pipeline }
  | { kind: 'if'; branches: { cond: Pipeline; body: Node[] }[]; otherwise: Node[] }
  | { kind: 'range' | 'with'; pipe: Pipeline; body: Node[]; otherwise: Node[] };

export class TemplateError extends UsageError {
  constructor(message: string) {
    super(`template parsing error: ${message}`);
  }
}

/** Split an action's text into words, keeping quoted strings (with their quotes) and `|` apart. */
function words(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '"' || c === '`') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' && c === '"' ? 2 : 1;
      if (j >= text.length) throw new TemplateError(`unterminated quoted string in {{${text}}}`);
      out.push(text.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (c === '|') {
      out.push('|');
      i++;
      continue;
    }
    if (c === '(') {
      // A parenthesized pipeline, maybe followed by fields: (index .Networks "web").IPAddress
      let depth = 0;
      let j = i;
      for (; j < text.length; j++) {
        const d = text[j]!;
        if (d === '"' || d === '`') {
          j++;
          while (j < text.length && text[j] !== d) j += text[j] === '\\' && d === '"' ? 2 : 1;
        } else if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
      }
      if (depth !== 0) throw new TemplateError(`unclosed left paren in {{${text}}}`);
      j++;
      while (j < text.length && !/[\s|()]/.test(text[j]!)) j++;
      out.push(text.slice(i, j));
      i = j;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s|]/.test(text[j]!)) j++;
    out.push(text.slice(i, j));
    i = j;
  }
  return out;
}

function pipeline(text: string): Pipeline {
  const commands: string[][] = [[]];
  for (const w of words(text)) {
    if (w === '|') commands.push([]);
    else commands[commands.length - 1]!.push(w);
  }
  if (commands.some((c) => !c.length)) throw new TemplateError(`missing command in {{${text}}}`);
  for (const [head] of commands) {
    if (!FUNCTIONS[head!] && !/^([.$"`\d(-]|true$|false$|nil$)/.test(head!)) throw new TemplateError(`function "${head}" not defined`);
  }
  return { commands };
}

/** Text and actions, with `{{- ` and ` -}}` trimming the whitespace beside them. */
function lex(src: string): ({ text: string } | { action: string })[] {
  const parts: ({ text: string } | { action: string })[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      parts.push({ text });
      break;
    }
    const close = src.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError(`unclosed action in "${src}"`);
    let inner = src.slice(open + 2, close);
    if (inner.startsWith('- ')) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(2);
    }
    trimNext = inner.endsWith(' -');
    if (trimNext) inner = inner.slice(0, -2);
    if (text) parts.push({ text });
    parts.push({ action: inner.trim() });
    i = close + 2;
  }
  return parts;
}

export function parseTemplate(src: string): Node[] {
  const parts = lex(src);
  let pos = 0;
  const block = (ends: string[]): { nodes: Node[]; end: string } => {
    const nodes: Node[] = [];
    while (pos < parts.length) {
      const part = parts[pos++]!;
      if ('text' in part) {
        nodes.push({ kind: 'text', text: part.text });
        continue;
      }
      const a = part.action;
      if (a.startsWith('/*')) continue;
      const [keyword] = a.split(/\s+/, 1);
      if (keyword === 'end' || keyword === 'else') {
        if (!ends.includes(keyword)) throw new TemplateError(`unexpected {{${a}}}`);
        pos--;
        return { nodes, end: keyword };
      }
      if (keyword === 'if') {
        const branches = [{ cond: pipeline(a.slice(2)), body: [] as Node[] }];
        let otherwise: Node[] = [];
        for (;;) {
          const inner = block(['else', 'end']);
          branches[branches.length - 1]!.body = inner.nodes;
          const closing = (parts[pos++] as { action: string }).action;
          if (inner.end === 'end') break;
          const rest = closing.slice(4).trim();
          if (rest.startsWith('if ')) {
            branches.push({ cond: pipeline(rest.slice(3)), body: [] });
            continue;
          }
          otherwise = block(['end']).nodes;
          pos++;
          break;
        }
        nodes.push({ kind: 'if', branches, otherwise });
        continue;
      }
      if (keyword === 'range' || keyword === 'with') {
        const pipe = pipeline(a.slice(keyword.length));
        const inner = block(['else', 'end']);
        pos++;
        let otherwise: Node[] = [];
        if (inner.end === 'else') {
          otherwise = block(['end']).nodes;
          pos++;
        }
        nodes.push({ kind: keyword, pipe, body: inner.nodes, otherwise });
        continue;
      }
      if (!a) throw new TemplateError('missing value for command');
      nodes.push({ kind: 'print', pipe: pipeline(a) });
    }
    if (ends.length) throw new TemplateError(`unexpected EOF: missing {{end}}`);
    return { nodes, end: '' };
  };
  return block([]).nodes;
}

function truthy(v: Value): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v as object).length > 0;
  return true;
}

/** Go's %v. */
export function goString(v: Value): string {
  if (v === undefined || v === null) return '<no value>';
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return `[${v.map(goString).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `map[${entries.map(([k, x]) => `${k}:${goString(x)}`).join(' ')}]`;
  }
  return String(v);
}

/** Go's json.Marshal: compact, with <, > and & escaped. */
function goJson(v: Value): string {
  return (JSON.stringify(v ?? null) ?? 'null').replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function printf(format: string, args: Value[]): string {
  let i = 0;
  return format.replace(/%([-+ 0#]*\d*(?:\.\d+)?)([sdvqtx%])/g, (_m, _flags: string, verb: string) => {
    if (verb === '%') return '%';
    const a = args[i++];
    if (verb === 'q') return JSON.stringify(goString(a));
    if (verb === 'd') return String(Math.trunc(Number(a)));
    if (verb === 'x') return Number(a).toString(16);
    return goString(a);
  });
}

const FUNCTIONS: Record<string, (...args: Value[]) => Value> = {
  json: (v) => goJson(v),
  join: (list, sep) => (Array.isArray(list) ? list.map(goString).join(String(sep)) : goString(list)),
  split: (s, sep) => String(s).split(String(sep)),
  upper: (s) => goString(s).toUpperCase(),
  lower: (s) => goString(s).toLowerCase(),
  title: (s) => goString(s).replace(/(^|[^\p{L}\p{N}'])(\p{L})/gu, (_m, pre: string, ch: string) => pre + ch.toUpperCase()),
  println: (...args) => `${args.map(goString).join(' ')}\n`,
  print: (...args) => args.map(goString).join(''),
  printf: (format, ...args) => printf(String(format), args),
  truncate: (s, n) => [...goString(s)].slice(0, Number(n)).join(''),
  pad: (s, left, right) => `${' '.repeat(Number(left))}${goString(s)}${' '.repeat(Number(right))}`,
  len: (v) => (Array.isArray(v) || typeof v === 'string' ? v.length : v && typeof v === 'object' ? Object.keys(v).length : 0),
  index: (v, ...keys) => keys.reduce<Value>((x, k) => (x === undefined || x === null ? undefined : (x as Record<string, unknown>)[String(k)]), v),
  eq: (a, ...bs) => bs.some((b) => compare(a, b) === 0 && typeof a === typeof b),
  ne: (a, b) => !(compare(a, b) === 0 && typeof a === typeof b),
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
  not: (v) => !truthy(v),
  and: (...args) => args.find((a) => !truthy(a)) ?? args[args.length - 1],
  or: (...args) => args.find((a) => truthy(a)) ?? args[args.length - 1],
};

function field(v: Value, path: string[]): Value {
  let x = v;
  for (const name of path) {
    if (x === undefined || x === null || typeof x !== 'object') return undefined;
    x = (x as Record<string, unknown>)[name];
  }
  return x;
}

function operand(word: string, dot: Value, root: Value): Value {
  if (word.startsWith('(')) {
    const close = word.lastIndexOf(')');
    const value = evaluate(pipeline(word.slice(1, close)), dot, root);
    const rest = word.slice(close + 1);
    return rest ? field(value, rest.slice(1).split('.')) : value;
  }
  if (word === '.') return dot;
  if (word.startsWith('.')) return field(dot, word.slice(1).split('.'));
  if (word === '$') return root;
  if (word.startsWith('$.')) return field(root, word.slice(2).split('.'));
  if (word.startsWith('"')) {
    try {
      return JSON.parse(word) as string;
    } catch {
      throw new TemplateError(`malformed string ${word}`);
    }
  }
  if (word.startsWith('`')) return word.slice(1, -1);
  if (word === 'true' || word === 'false') return word === 'true';
  if (word === 'nil') return null;
  if (/^-?\d+(\.\d+)?$/.test(word)) return Number(word);
  throw new TemplateError(`function "${word}" not defined`);
}

function evaluate(pipe: Pipeline, dot: Value, root: Value): Value {
  let piped: Value[] = [];
  for (const [head, ...rest] of pipe.commands) {
    const fn = FUNCTIONS[head!];
    if (fn) piped = [fn(...rest.map((w) => operand(w, dot, root)), ...piped)];
    else {
      if (rest.length || piped.length) throw new TemplateError(`can't give arguments to non-function ${head}`);
      piped = [operand(head!, dot, root)];
    }
  }
  return piped[0];
}

function execute(nodes: Node[], dot: Value, root: Value): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'print') out += goString(evaluate(n.pipe, dot, root));
    else if (n.kind === 'if') {
      const hit = n.branches.find((b) => truthy(evaluate(b.cond, dot, root)));
      out += execute(hit ? hit.body : n.otherwise, dot, root);
    } else if (n.kind === 'with') {
      const v = evaluate(n.pipe, dot, root);
      out += truthy(v) ? execute(n.body, v, root) : execute(n.otherwise, dot, root);
    } else {
      const v = evaluate(n.pipe, dot, root);
      const items = Array.isArray(v) ? v : v && typeof v === 'object' ? Object.keys(v).sort().map((k) => (v as Record<string, unknown>)[k]) : [];
      out += items.length ? items.map((item) => execute(n.body, item, root)).join('') : execute(n.otherwise, dot, root);
    }
  }
  return out;
}

/** docker's formatter reads `\t` and `\n` typed in a format as a tab and a newline. */
function unescape(format: string): string {
  return format.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
}

/** One value through a template (inspect -f). */
export function renderTemplate(format: string, value: Value): string {
  const nodes = parseTemplate(unescape(format));
  return execute(nodes, value, value);
}

/** Columns at their tabs: each as wide as its widest cell plus 3, at least 10 (docker's tabwriter). */
export function alignColumns(lines: string[]): string {
  const cells = lines.map((l) => l.split('\t'));
  const widths: number[] = [];
  for (const row of cells) row.slice(0, -1).forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, [...c].length)));
  return cells.map((row) => row.map((c, i) => (i < row.length - 1 ? c.padEnd(Math.max((widths[i] ?? 0) + 3, 10)) : c)).join('').trimEnd() + '\n').join('');
}

/**
 * Rows (ps, images) through a `--format`: `table …` gets a header (each field's name from
 * `headers`, else upper-cased) and aligned columns; anything else is one line per row.
 */
export function renderRows(format: string, rows: Value[], headers: Record<string, string>): string {
  const table = /^table(\s|$)/.test(format);
  const nodes = parseTemplate(unescape(table ? format.slice(5).trimStart() : format));
  const lines = rows.map((r) => execute(nodes, r, r));
  if (!table) return lines.map((l) => `${l}\n`).join('');
  const headerRow = new Proxy({}, { get: (_t, key) => (typeof key === 'string' ? (headers[key] ?? key.toUpperCase()) : undefined) });
  return alignColumns([execute(nodes, headerRow, headerRow), ...lines]);
}
