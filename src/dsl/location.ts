import type { Position, SourceRange } from "./ast";

/**
 * Turns 0-based offsets into 1-based line/column positions. Lines end at `\n`, `\r\n` or a lone
 * `\r`; columns count UTF-16 code units, as JavaScript strings do.
 */
export class LineMap {
  private readonly lineStarts: number[] = [0];

  constructor(private readonly source: string) {
    for (let i = 0; i < source.length; i++) {
      const c = source.charCodeAt(i);
      if (c === 10 /* \n */) {
        this.lineStarts.push(i + 1);
      } else if (c === 13 /* \r */) {
        if (source.charCodeAt(i + 1) === 10) i++;
        this.lineStarts.push(i + 1);
      }
    }
  }

  /** The position of a 0-based offset (clamped to the source). */
  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.source.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid] <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: clamped - this.lineStarts[low] + 1, offset: clamped };
  }

  /**
   * The 0-based offset of a 1-based line and column (clamped to the line's text and to the source),
   * the inverse of `position`.
   */
  offset(line: number, column: number): number {
    const index = Math.max(0, Math.min(line - 1, this.lineStarts.length - 1));
    const start = this.lineStarts[index];
    const next = index + 1 < this.lineStarts.length ? this.lineStarts[index + 1] : this.source.length;
    return Math.max(start, Math.min(start + column - 1, next));
  }

  /** The range from `start` (inclusive) to `end` (exclusive), both 0-based offsets. */
  range(start: number, end: number): SourceRange {
    return { start: this.position(start), end: this.position(end) };
  }

  /** A zero-width range at the end of the source. */
  endOfSource(): SourceRange {
    return this.range(this.source.length, this.source.length);
  }
}
