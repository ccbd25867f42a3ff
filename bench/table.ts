/**
 * Output shared by the benchmarks: plain-text tables (each column padded to its widest cell, text
 * left-aligned, figures right-aligned), the comparison table every target is printed in, and
 * number formats.
 */

export const out = (line = ""): void => void process.stdout.write(`${line}\n`);

export type Align = "left" | "right";

export interface Column {
  header: string;
  align?: Align;
}

/** The lines of a table: a header row, then one line per row; cells are already formatted. */
export function formatTable(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => (c.align === "right" ? (cells[i] ?? "").padStart(widths[i]) : (cells[i] ?? "").padEnd(widths[i])))
      .join("   ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)];
}

export function printTable(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): void {
  for (const l of formatTable(columns, rows)) out(l);
}

export const verdict = (met: boolean): string => (met ? "met" : "NOT MET");

/** One figure measured on the product and on its baseline in the same run. */
export interface Comparison {
  figure: string;
  product: string;
  baseline: string;
  /** product ÷ baseline, formatted; "" when a ratio means nothing for this figure. */
  ratio: string;
  /** e.g. "≥ 0.5×"; "" when the figure has no target. */
  target: string;
  /** null: no target. */
  met: boolean | null;
}

/** The table every service figure is printed in: figure, product, baseline, ratio, target, met? */
export function printComparisons(rows: readonly Comparison[]): void {
  printTable(
    [
      { header: "figure" },
      { header: "product", align: "right" },
      { header: "baseline", align: "right" },
      { header: "ratio", align: "right" },
      { header: "target" },
      { header: "met?" },
    ],
    rows.map((r) => [r.figure, r.product, r.baseline, r.ratio, r.target, r.met === null ? "" : verdict(r.met)]),
  );
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString("en-US");
export const fmtRatio = (n: number): string => `${n.toFixed(2)}×`;
export const fmtMs = (n: number): string => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;
export const fmtSeconds = (n: number): string => `${n.toFixed(1)} s`;

/** The `p`-th percentile (0–100) of `values`, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}
