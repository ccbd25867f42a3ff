/**
 * Canonical layout of a model file, keeping its comments (`qualify fmt`).
 *
 * Each statement is printed by the printer on one line. Comments are kept: a comment on its own
 * line stays above the statement that follows it; a comment at the end of a statement's last line
 * stays at its end (aligned with its neighbours' in a run of consecutive lines); a comment inside a
 * statement that spans several lines moves to the line above the statement. Blank lines between
 * statements are kept (several become one), and a blank line separates statements of different
 * kinds (funnel, score rules, groups, stage rules), as the printer does.
 *
 * A group is laid out as the printer writes it (header and `{`, rules indented by two spaces, `}`),
 * and the same placement applies inside it: a comment on its own line above a rule stays there,
 * indented; a comment at the end of the `{` or `}` line stays at its end; a comment between the
 * group's name and its `{` moves above the group.
 */
import type { GroupStatement, Statement } from "./ast";
import { hasErrors, type Diagnostic } from "./diagnostics";
import { parse } from "./parse";
import { GROUP_INDENT, printGroup, printGroupHeader, printStatement } from "./printer";

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

/** The offset of a group's `{`: the first one after its name and settings, outside comments. */
function openingBrace(source: string, group: GroupStatement): number {
  const last = group.settings.length > 0 ? group.settings[group.settings.length - 1].range : group.name.range;
  for (let i = last.end.offset; i < source.length; i++) {
    if (source[i] === "{") return i;
    if (source[i] === "#") while (i < source.length && source[i] !== "\n") i++;
  }
  return group.range.end.offset;
}

/** Lays statements out as lines, placing each comment (see the module comment). */
class Layout {
  readonly lines: Line[] = [];
  /** The end of what has been laid out. */
  private cursor = 0;
  /** The next comment to place. */
  private c = 0;

  constructor(
    private readonly source: string,
    private readonly pending: readonly Comment[],
  ) {}

  /** Statements (of the model, or of a group, indented), up to `limit` (where the enclosing text ends). */
  statements(statements: readonly Statement[], indent: string, limit: number): void {
    const { lines } = this;
    let previous: Statement | null = null;
    statements.forEach((statement, i) => {
      const start = statement.range.start.offset;
      const nextStart = i + 1 < statements.length ? statements[i + 1].range.start.offset : limit;
      const firstLine = lines.length;
      this.commentsBefore(start, indent);
      const groupStart = lines.length;
      const blankBefore = hasBlankLine(this.source.slice(this.cursor, start));
      if (statement.kind === "Group") {
        this.group(statement, indent, nextStart);
      } else {
        // Comments inside a statement that spans lines go above it.
        this.commentsAbove(statement.range.end.offset, indent);
        const trailing = this.trailing(statement.range.end.offset, nextStart);
        lines.push({ text: indent + printStatement(statement), trailing, blankBefore: false });
      }
      lines[groupStart].blankBefore = blankBefore;
      if (previous !== null && previous.kind !== statement.kind) lines[firstLine].blankBefore = true;
      previous = statement;
    });
  }

  /** The comments left (after the last statement), each on its own line. */
  rest(): void {
    this.commentsBefore(Infinity, "");
  }

  /** A group: its header with `{`, its rules indented, `}`; an empty one on one line. */
  private group(group: GroupStatement, indent: string, nextStart: number): void {
    const brace = openingBrace(this.source, group);
    const end = group.range.end.offset;
    if (group.rules.length === 0) {
      this.commentsAbove(end, indent);
      this.lines.push({ text: indent + printGroup(group), trailing: this.trailing(end, nextStart), blankBefore: false });
      return;
    }
    this.commentsAbove(brace, indent);
    const trailing = this.trailing(brace + 1, group.rules[0].range.start.offset);
    this.lines.push({ text: indent + printGroupHeader(group), trailing, blankBefore: false });
    const closing = end - 1;
    this.statements(group.rules, indent + GROUP_INDENT, closing);
    this.commentsBefore(closing, indent + GROUP_INDENT);
    this.cursor = end;
    this.lines.push({ text: `${indent}}`, trailing: this.trailing(end, nextStart), blankBefore: false });
  }

  /** Comments starting before `offset`, each on its own line (keeping a blank line above them). */
  private commentsBefore(offset: number, indent: string): void {
    const { pending } = this;
    while (this.c < pending.length && pending[this.c].start < offset) {
      const comment = pending[this.c++];
      this.lines.push({ text: indent + comment.text, trailing: null, blankBefore: hasBlankLine(this.source.slice(this.cursor, comment.start)) });
      this.cursor = comment.start + comment.text.length;
    }
  }

  /** Comments starting before `end` (inside a statement), moved above it; the statement is laid out to `end`. */
  private commentsAbove(end: number, indent: string): void {
    const { pending } = this;
    while (this.c < pending.length && pending[this.c].start < end) {
      this.lines.push({ text: indent + pending[this.c++].text, trailing: null, blankBefore: false });
    }
    this.cursor = end;
  }

  /** The comment after `end` on the same line, before `nextStart`, if any (it is laid out with the line). */
  private trailing(end: number, nextStart: number): string | null {
    const next = this.pending[this.c];
    if (next === undefined || next.start >= nextStart || /[\r\n]/.test(this.source.slice(end, next.start))) return null;
    this.cursor = next.start + next.text.length;
    this.c++;
    return next.text;
  }
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
  const layout = new Layout(source, comments(source));
  layout.statements(statements, "", source.length);
  layout.rest();
  return { formatted: render(layout.lines), diagnostics };
}
