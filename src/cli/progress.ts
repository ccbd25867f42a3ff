/**
 * A rescore's progress as `qualify publish` shows it on stderr: a bar redrawn in place on a
 * terminal, plain lines otherwise (a CI log: one when the count moved, at most one a second, and
 * always the last).
 */
import type { Output } from "./command";

/** What `rescoreStatus` answers. */
export interface RescoreProgress {
  version: number;
  state: "RUNNING" | "DONE";
  done: number;
  total: number;
}

const BAR_WIDTH = 30;
const LINE_INTERVAL_MS = 1000;

const percent = (p: RescoreProgress): number => (p.total === 0 ? 100 : Math.floor((p.done * 100) / p.total));

/** `rescoring to version 5: 1500 of 3000 leads (50%)`, the plain line (stable for scripts). */
export function progressLine(p: RescoreProgress): string {
  return `rescoring to version ${p.version}: ${p.done} of ${p.total} leads (${percent(p)}%)`;
}

function progressBar(p: RescoreProgress): string {
  const filled = p.total === 0 ? BAR_WIDTH : Math.floor((p.done * BAR_WIDTH) / p.total);
  const n = (x: number) => x.toLocaleString("en-US");
  return `rescoring to version ${p.version} [${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${n(p.done)}/${n(p.total)} leads ${String(percent(p)).padStart(3)}%`;
}

export class ProgressDisplay {
  /** The last plain line printed, and when. */
  private printed: string | null = null;
  private printedAt = -Infinity;
  private drawn = false;

  constructor(
    private readonly out: Output,
    private readonly now: () => number = Date.now,
  ) {}

  /** The progress as it stands (called at every poll). */
  show(p: RescoreProgress): void {
    if (this.out.isTTY) {
      this.out.write(`\r${progressBar(p)}`);
      this.drawn = true;
      return;
    }
    const line = progressLine(p);
    if (line !== this.printed && this.now() - this.printedAt >= LINE_INTERVAL_MS) this.print(line);
  }

  /** The final progress: always shown (once), and the bar's line ended. */
  finish(p: RescoreProgress): void {
    if (this.out.isTTY) {
      this.out.write(`\r${progressBar(p)}\n`);
      this.drawn = false;
      return;
    }
    const line = progressLine(p);
    if (line !== this.printed) this.print(line);
  }

  /** Ends a bar left drawn (before an error line). */
  interrupt(): void {
    if (this.drawn) this.out.write("\n");
    this.drawn = false;
  }

  private print(line: string): void {
    this.out.write(`${line}\n`);
    this.printed = line;
    this.printedAt = this.now();
  }
}
