/**
 * Canonical layout of a model file, keeping its comments (`qualify fmt`).
 *
 * Each statement is printed by the printer on one line. Comments are kept: a comment on its own
 * line stays above the statement that follows it; a comment at the end of a statement's last line
 * stays at its end (aligned with its neighbours' in a run of consecutive lines); a comment inside a
 * statement that spans several lines moves to the line above the statement. Blank lines between
 * statements are kept (several become one), and a blank line separates statements of different
 * kinds (funnel, score rules, stage rules), as the printer does.
 */
import type { Statement } from "./ast";
import { hasErrors, type Diagnostic } from "./diagnostics";
import { parse } from "./parse";
import { printStatement } from "./printer";

interface Comment {
  start: number;
  text: string;
}

/** The `#` comments of a source that parsed, outside strings. */
function comments(source: string): Comment[] {
  const found: Comment[] = [];
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '"') {
      for (i++; i < source.length && source[i] !== '"' && source[i] !== "\n"; i++) if (source[i] === "\\") i++;
    } else if (c === "#") {
      let end = i;
      while (end < source.length && source[end] !== "\n" && source[end] !== "\r") end++;
      found.push({ start: i, text: source.slice(i, end).trimEnd() });
      i = end;
    }
  }
  return found;
}

/** One output line: a comment on its own, or a statement with maybe a trailing comment. */
interface Line {
  text: string;
  trailing: string | null;
  /** A blank line goes before this one. */
  blankBefore: boolean;
}

function hasBlankLine(text: string): boolean {
  return /\n[ \t\r]*\n/.test(text);
}

/** Pads the statements of each run of consecutive lines with trailing comments to one column. */
function render(lines: readonly Line[]): string {
  let out = "";
  for (let i = 0; i < lines.length; ) {
    let j = i + 1;
    while (j < lines.length && !lines[j].blankBefore && lines[j].trailing !== null && lines[i].trailing !== null) j++;
    const width = Math.max(...lines.slice(i, j).map((l) => l.text.length));
    for (let k = i; k < j; k++) {
      const line = lines[k];
      if (line.blankBefore && out !== "") out += "\n";
      out += line.trailing === null ? `${line.text}\n` : `${line.text.padEnd(width)}  ${line.trailing}\n`;
    }
    i = j;
  }
  return out;
}

/**
 * Formats a model's source. Returns `formatted: null` (and the diagnostics) when it does not
 * parse: only a model that parses can be laid out again.
 *
 * @example formatModel('visit   "/pricing"=>15   # pricing\n').formatted // 'visit "/pricing" => +15  # pricing\n'
 */
export function formatModel(source: string): { formatted: string | null; diagnostics: Diagnostic[] } {
  const { ast, diagnostics } = parse(source);
  if (hasErrors(diagnostics)) return { formatted: null, diagnostics };
  const statements = [...ast.statements].sort((a, b) => a.range.start.offset - b.range.start.offset);
  const pending = comments(source);
  const lines: Line[] = [];
  let previous: Statement | null = null;
  let cursor = 0; // the end of what has been laid out
  let c = 0;

  const ownLineComment = (comment: Comment) => {
    lines.push({ text: comment.text, trailing: null, blankBefore: hasBlankLine(source.slice(cursor, comment.start)) });
    cursor = comment.start + comment.text.length;
  };

  statements.forEach((statement, i) => {
    const start = statement.range.start.offset;
    const end = statement.range.end.offset;
    const nextStart = i + 1 < statements.length ? statements[i + 1].range.start.offset : source.length;
    const firstLine = lines.length;
    while (c < pending.length && pending[c].start < start) ownLineComment(pending[c++]);
    const groupStart = lines.length;
    const blankBefore = hasBlankLine(source.slice(cursor, start));
    // Comments inside a statement that spans lines go above it.
    while (c < pending.length && pending[c].start < end) lines.push({ text: pending[c++].text, trailing: null, blankBefore: false });
    let trailing: string | null = null;
    cursor = end;
    const next = pending[c];
    if (next !== undefined && next.start < nextStart && !/[\r\n]/.test(source.slice(end, next.start))) {
      trailing = next.text;
      cursor = next.start + next.text.length;
      c++;
    }
    lines.push({ text: printStatement(statement), trailing, blankBefore: false });
    lines[groupStart].blankBefore = blankBefore;
    if (previous !== null && previous.kind !== statement.kind) lines[firstLine].blankBefore = true;
    previous = statement;
  });
  while (c < pending.length) ownLineComment(pending[c++]);
  return { formatted: render(lines), diagnostics };
}
