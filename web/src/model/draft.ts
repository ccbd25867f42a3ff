/**
 * The draft: the model and its tests as last typed, kept in localStorage (this origin, every tab,
 * across reloads and sign-ins) until published or reverted, with the version it was started from.
 */

export interface Draft {
  /** The model's source as typed; null when the editor shows the published version unchanged. */
  source: string | null;
  /** The model tests (the `*.rules.test` format) as typed. */
  tests: string | null;
  /** The published version the draft was started from (to say when another one was published since). */
  baseVersion: number | null;
}

export const DRAFT_KEY = "qualify.modelDraft";

const EMPTY: Draft = { source: null, tests: null, baseVersion: null };

/** The saved draft (an unreadable one counts as none). */
export function loadDraft(storage: Storage = window.localStorage): Draft {
  try {
    const raw = storage.getItem(DRAFT_KEY);
    if (raw === null) return EMPTY;
    const value = JSON.parse(raw) as Partial<Draft>;
    return {
      source: typeof value.source === "string" ? value.source : null,
      tests: typeof value.tests === "string" ? value.tests : null,
      baseVersion: typeof value.baseVersion === "number" ? value.baseVersion : null,
    };
  } catch {
    return EMPTY;
  }
}

/**
 * Saves the draft; an empty one is removed. Returns false when the browser refuses (storage full
 * or disabled), so the page can say the draft is not kept.
 */
export function saveDraft(draft: Draft, storage: Storage = window.localStorage): boolean {
  try {
    if (draft.source === null && draft.tests === null) storage.removeItem(DRAFT_KEY);
    else storage.setItem(DRAFT_KEY, JSON.stringify(draft));
    return true;
  } catch {
    return false;
  }
}
