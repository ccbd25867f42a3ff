/**
 * The model page: write the scoring model (CodeMirror, with the rule language running in the
 * browser: highlighting, problems as one types, fixes, completion), test it beside it, preview what
 * publishing would do, publish with a comment (admin keys), and browse, compare and roll back the
 * published versions. What one types is a draft kept in this browser until published or discarded.
 */
import type { EditorView } from "@codemirror/view";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { ApiError, describeError, request } from "../api/client";
import { applyFix, revealDiagnostic } from "../model/editor";
import { loadDraft, saveDraft } from "../model/draft";
import { History, type Version } from "../model/History";
import { diagnose, locate, type Diagnostic, type EditorDiagnostic } from "../model/language";
import { ModelEditor, replaceSource } from "../model/ModelEditor";
import { ModelTests } from "../model/ModelTests";
import { ACTIVE_MODEL, INTERACTION_TYPES, MODEL_HISTORY, PREVIEW_MODEL, PUBLISH_MODEL, REPUBLISH_MODEL, RESCORE_STATUS } from "../model/operations";
import { PreviewResult, type PreviewData } from "../model/Preview";
import { Problems } from "../model/Problems";
import { useSession } from "../session";
import seedTests from "../../../examples/seed-model.rules.test?raw";

const HISTORY_PAGE = 20;
const RESCORE_POLL_MS = 500;

interface Published {
  version: number;
  source: string;
}

interface Rescore {
  version: number;
  done: number;
  total: number;
  finished: boolean;
}

type Outcome = { kind: "ok"; text: string } | { kind: "error"; text: string } | null;

/** The service's diagnostics (severity in capitals) placed in the text they were about. */
function serviceDiagnostics(source: string, list: unknown): EditorDiagnostic[] {
  if (!Array.isArray(list)) return [];
  return (list as Array<Omit<Diagnostic, "severity"> & { severity: string }>).map((d) =>
    locate(source, { ...d, severity: d.severity.toLowerCase() === "warning" ? "warning" : "error" }),
  );
}

export default function ModelPage() {
  const session = useSession();
  const isAdmin = session.can("ADMIN");
  const viewRef = useRef<EditorView | null>(null);
  const initialDraft = useMemo(() => loadDraft(), []);

  const [published, setPublished] = useState<Published | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [source, setSource] = useState<string | null>(null);
  const [baseVersion, setBaseVersion] = useState<number | null>(initialDraft.baseVersion);
  const [tests, setTests] = useState(initialDraft.tests ?? seedTests);
  const [draftKept, setDraftKept] = useState(true);
  const [diagnosis, setDiagnosis] = useState<{ list: EditorDiagnostic[]; source: string } | null>(null);
  const [fromService, setFromService] = useState<EditorDiagnostic[] | null>(null);
  const seenTypes = useRef<readonly string[]>([]);
  const [typesError, setTypesError] = useState<string | null>(null);

  const [preview, setPreview] = useState<PreviewData | null>(null);
  const [previewing, setPreviewing] = useState(false);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const [comment, setComment] = useState("");
  const [publishing, setPublishing] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const [rescore, setRescore] = useState<Rescore | null>(null);
  const [rollbackError, setRollbackError] = useState<string | null>(null);

  const [versions, setVersions] = useState<Version[]>([]);
  const [history, setHistory] = useState({ totalCount: 0, hasMore: false, cursor: null as string | null, loading: false, error: null as string | null });

  const loadHistory = useCallback(async (after: string | null) => {
    setHistory((h) => ({ ...h, loading: true, error: null }));
    try {
      const { models } = await request(MODEL_HISTORY, { first: HISTORY_PAGE, after });
      const page = models.edges.map((e) => e.node);
      setVersions((old) => (after === null ? page : [...old, ...page]));
      setHistory({ totalCount: models.totalCount, hasMore: models.pageInfo.hasNextPage, cursor: models.pageInfo.endCursor ?? null, loading: false, error: null });
    } catch (err) {
      setHistory((h) => ({ ...h, loading: false, error: `The history could not be loaded: ${describeError(err)}` }));
    }
  }, []);

  useEffect(() => {
    let cancelled = false;
    request(ACTIVE_MODEL)
      .then(({ activeModel }) => {
        if (cancelled) return;
        setPublished(activeModel ? { version: activeModel.version, source: activeModel.source } : null);
        setSource(initialDraft.source ?? activeModel?.source ?? "");
      })
      .catch((err: unknown) => {
        if (cancelled) return;
        setLoadError(`The published model could not be loaded: ${describeError(err)}`);
        setSource(initialDraft.source ?? "");
      })
      .finally(() => !cancelled && setLoaded(true));
    void loadHistory(null);
    request(INTERACTION_TYPES)
      .then(({ interactionTypes }) => {
        seenTypes.current = interactionTypes.map((t) => t.type);
      })
      .catch((err: unknown) => !cancelled && setTypesError(`Interaction types seen in the data are not offered: ${describeError(err)}`));
    return () => {
      cancelled = true;
    };
  }, [initialDraft, loadHistory]);

  // The draft: what differs from the published version, and the tests, kept across reloads.
  const isDraft = source !== null && published !== null && source !== published.source;
  useEffect(() => {
    if (!loaded || source === null) return;
    const draftSource = published === null || source !== published.source ? source : null;
    const base = draftSource === null ? null : (baseVersion ?? published?.version ?? null);
    if (base !== baseVersion) setBaseVersion(base);
    const timer = setTimeout(() => setDraftKept(saveDraft({ source: draftSource, tests: tests === seedTests ? null : tests, baseVersion: base })), 250);
    return () => clearTimeout(timer);
  }, [loaded, source, tests, published, baseVersion]);

  const onChange = useCallback((text: string) => {
    setSource(text);
    setFromService(null);
    setPreview(null);
  }, []);
  const hooks = useMemo(
    () => ({
      onDiagnostics: (list: EditorDiagnostic[], text: string) => setDiagnosis({ list, source: text }),
      interactionTypes: () => seenTypes.current,
    }),
    [],
  );

  const currentSource = () => viewRef.current?.state.doc.toString() ?? source ?? "";
  const reveal = (d: EditorDiagnostic) => viewRef.current && revealDiagnostic(viewRef.current, d);
  const fix = (d: EditorDiagnostic) => {
    if (!viewRef.current) return;
    const about = fromService?.includes(d) ? currentSource() : (diagnosis?.source ?? currentSource());
    applyFix(viewRef.current, d, about);
  };

  function revert() {
    if (!viewRef.current || !published) return;
    replaceSource(viewRef.current, published.source);
    setBaseVersion(null);
  }

  // The rescore of `version`: polled while the publish runs and after, until every lead is at it.
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const watchRescore = useCallback(async (version: number, publishing: () => boolean) => {
    while (mounted.current) {
      // A poll that fails (the service busy or restarting) is only a missed update: the banner
      // says when the service is away, and the publish's own answer says how it ended.
      const status = await request(RESCORE_STATUS).then(
        (r) => r.rescoreStatus,
        () => null,
      );
      if (status && status.version >= version) {
        const finished = status.state === "DONE";
        setRescore({ version: status.version, done: status.done, total: status.total, finished });
        if (finished) return;
      } else if (!publishing()) {
        return; // refused: no new version to watch
      }
      await new Promise((resolve) => setTimeout(resolve, RESCORE_POLL_MS));
    }
  }, []);

  /** Runs a publish or rollback: progress while it rescores, then the outcome, the new active version and the history. */
  async function runPublish(next: number, send: () => Promise<{ leadsRescored: number; stageChanges: number; model: { version: number } }>, newSource: string): Promise<string | null> {
    setPublishing(true);
    setOutcome(null);
    setRescore(null);
    let running = true;
    void watchRescore(next, () => running);
    try {
      const result = await send();
      const version = result.model.version;
      const editorHeldPublished = published !== null && currentSource() === published.source;
      setPublished({ version, source: newSource });
      if (editorHeldPublished && viewRef.current) replaceSource(viewRef.current, newSource);
      setBaseVersion(null);
      setOutcome({
        kind: "ok",
        text: `Version ${version} is published: ${result.leadsRescored} ${result.leadsRescored === 1 ? "lead" : "leads"} rescored, ${result.stageChanges} stage ${result.stageChanges === 1 ? "change" : "changes"}.`,
      });
      void loadHistory(null);
      return null;
    } catch (err) {
      if (err instanceof ApiError && err.code === "RULES_INVALID") {
        setFromService(serviceDiagnostics(newSource, err.errors[0]?.extensions?.diagnostics));
      }
      if (err instanceof ApiError && err.code === "RESCORE_INCOMPLETE") void loadHistory(null);
      const text = describeError(err);
      setOutcome({ kind: "error", text });
      return text;
    } finally {
      running = false;
      setPublishing(false);
    }
  }

  const errors = diagnosis?.list.filter((d) => d.severity === "error").length ?? 0;
  const unchanged = published !== null && source === published.source;
  const publishBlocked = !loaded
    ? "Loading the published model…"
    : errors > 0
      ? `The model has ${errors} ${errors === 1 ? "error" : "errors"} (see Problems): fix ${errors === 1 ? "it" : "them"} to publish.`
      : unchanged
        ? "The editor holds the published version unchanged: there is nothing new to publish."
        : null;

  async function publish() {
    const text = currentSource();
    // Checked again now: the list may lag the last keystroke by a few milliseconds.
    if (diagnose(text).some((d) => d.severity === "error")) return;
    const trimmed = comment.trim();
    const next = (published?.version ?? 0) + 1;
    const failed = await runPublish(next, async () => (await request(PUBLISH_MODEL, { source: text, comment: trimmed || null })).publishModel, text);
    if (failed === null) setComment("");
  }

  async function rollback(version: number, rollbackComment: string): Promise<boolean> {
    setRollbackError(null);
    const old = versions.find((v) => v.version === version);
    if (!old) return false;
    const next = (published?.version ?? 0) + 1;
    const failed = await runPublish(
      next,
      async () => (await request(REPUBLISH_MODEL, { version, comment: rollbackComment.trim() || null })).republishModel,
      old.source,
    );
    if (failed !== null) setRollbackError(`The rollback to version ${version} failed: ${failed}`);
    return failed === null;
  }

  async function runPreview() {
    const text = currentSource();
    setPreviewing(true);
    setPreviewError(null);
    try {
      const { previewModel } = await request(PREVIEW_MODEL, { source: text });
      setPreview(previewModel);
      const found = serviceDiagnostics(text, previewModel.diagnostics);
      setFromService(found.some((d) => d.severity === "error") ? found : null);
    } catch (err) {
      setPreview(null);
      setPreviewError(describeError(err));
    } finally {
      setPreviewing(false);
    }
  }

  const stale = isDraft && baseVersion !== null && published !== null && baseVersion !== published.version;

  return (
    <div className="model-page">
      <h1>Model</h1>
      {loadError && (
        <p role="alert" className="error">
          {loadError}
        </p>
      )}
      <div className="draft-bar">
        <p role="status" className="help">
          {!loaded
            ? "Loading…"
            : published === null
              ? "No model is published yet."
              : isDraft
                ? `Draft: changed from the published version ${published.version}, kept in this browser until you publish or discard it.`
                : `The published version ${published.version}, unchanged.`}
          {!draftKept && " This browser refuses to keep the draft (storage full or disabled): it is lost on reload."}
        </p>
        <button type="button" className="secondary" disabled={!isDraft} onClick={revert}>
          Discard draft
        </button>
      </div>
      {stale && (
        <p className="notice">
          Your draft was started from version {baseVersion}; version {published?.version} has been published since. Compare them under History before
          you publish.
        </p>
      )}
      <div className="model-workspace">
        <div className="model-main">
          <p id="model-source-help" className="help">
            The scoring model in the rule language (see the language reference). Problems are listed below as you type; Ctrl-Space offers what may
            come next; Tab moves on to the next control.
          </p>
          {loaded && source !== null ? (
            <ModelEditor initial={source} viewRef={viewRef} hooks={hooks} onChange={onChange} />
          ) : (
            <p aria-busy="true">Loading the model…</p>
          )}
          {typesError && <p className="help">{typesError}</p>}
          <Problems diagnostics={diagnosis?.list ?? []} fromService={fromService} ready={diagnosis !== null} onReveal={reveal} onFix={fix} />
        </div>
        <ModelTests tests={tests} onTestsChange={setTests} source={currentSource} />
      </div>

      <section aria-labelledby="publish-title" className="publish">
        <h2 id="publish-title">Preview and publish</h2>
        {isAdmin ? (
          <>
            <div className="actions">
              <button type="button" onClick={runPreview} disabled={previewing || !loaded}>
                {previewing ? "Previewing…" : "Preview"}
              </button>
              <span className="help">What publishing the editor's model would do to the leads now; nothing is changed.</span>
            </div>
            {previewError && (
              <p role="alert" className="error">
                The preview failed: {previewError}
              </p>
            )}
            {preview && <PreviewResult preview={preview} />}
            <div className="publish-form">
              <label htmlFor="publish-comment">Comment</label>
              <input
                id="publish-comment"
                value={comment}
                maxLength={1000}
                placeholder="Why this version (kept in the history)"
                onChange={(e) => setComment(e.target.value)}
              />
              <button type="button" onClick={publish} disabled={publishing || publishBlocked !== null} aria-describedby={publishBlocked ? "publish-blocked" : undefined}>
                {publishing ? "Publishing…" : "Publish"}
              </button>
            </div>
            {publishBlocked && (
              <p id="publish-blocked" className="help">
                {publishBlocked}
              </p>
            )}
          </>
        ) : (
          <p className="notice">
            Previewing and publishing need a key with the admin scope; this key may {session.viewer?.effectiveScopes.join(", ").toLowerCase() ?? "read"}.
            You can still edit the model and run its tests here.
          </p>
        )}
        {rescore && (
          <div className="rescore">
            <label htmlFor="rescore-progress">
              Rescoring leads to version {rescore.version}: {rescore.done} of {rescore.total}
              {rescore.finished ? " (done)" : ""}
            </label>
            <progress id="rescore-progress" value={rescore.done} max={Math.max(rescore.total, 1)} />
          </div>
        )}
        {outcome && (
          <p role={outcome.kind === "error" ? "alert" : "status"} className={outcome.kind === "error" ? "error" : "ok"}>
            {outcome.text}
          </p>
        )}
      </section>

      <History
        versions={versions}
        totalCount={history.totalCount}
        hasMore={history.hasMore}
        loading={history.loading}
        error={history.error ?? rollbackError}
        onMore={() => void loadHistory(history.cursor)}
        onRollback={isAdmin ? rollback : undefined}
        busy={publishing}
      />
    </div>
  );
}
