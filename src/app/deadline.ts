/**
 * Waiting during a shutdown, bounded by its deadline (`QUALIFY_SHUTDOWN_TIMEOUT_SECONDS` after the
 * signal), given as an AbortSignal that aborts when the deadline passes.
 */

/** Waits for `work` until `deadline` aborts; true when `work` finished first (its failure is thrown). */
export async function beforeDeadline(work: Promise<unknown>, deadline: AbortSignal): Promise<boolean> {
  if (deadline.aborted) return false;
  let onAbort = (): void => undefined;
  const aborted = new Promise<false>((resolve) => {
    onAbort = () => resolve(false);
    deadline.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work.then(() => true), aborted]);
  } finally {
    deadline.removeEventListener("abort", onAbort);
  }
}

/** Waits `ms`, or until `deadline` aborts if that comes first. */
export async function pause(ms: number, deadline: AbortSignal): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await beforeDeadline(new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), deadline);
  clearTimeout(timer);
}
