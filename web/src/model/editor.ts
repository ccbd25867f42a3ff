/**
 * The CodeMirror 6 side of the model editor: highlighting, diagnostics as one types (underlined,
 * with their fixes as lint actions), completion. Only an adapter: what the language says comes from
 * `language.ts` (the rule language's own code), as graphiql's cm6-graphql adapts its language service.
 */
import { autocompletion, closeBrackets, closeBracketsKeymap, completionKeymap, type Completion, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, HighlightStyle, StreamLanguage, syntaxHighlighting } from "@codemirror/language";
import { linter, lintGutter, lintKeymap, type Diagnostic as LintDiagnostic } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import type { Extension } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, highlightActiveLineGutter, hoverTooltip, keymap, lineNumbers } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { LEAD_FIELDS } from "@dsl/model";
import { keywordTokens } from "@dsl/tokens";
import { complete, diagnose, hover, type CompletionKind, type EditorDiagnostic, type Fix } from "./language";

/** How long after the last keystroke the model is diagnosed again (the diagnosis itself is measured). */
export const LINT_DELAY_MS = 10;
/** The name of the `performance.measure` entry of each diagnosis (see the README's Performance). */
export const DIAGNOSE_MEASURE = "qualify:diagnose";

// Keywords as the lexer knows them (`minutes?` matches `minute` and `minutes`).
const KEYWORD = new RegExp(`^(?:${keywordTokens.map((t) => (t.PATTERN as RegExp).source).join("|")})$`);
const LEAD_FIELD_SET: ReadonlySet<string> = new Set(LEAD_FIELDS);

/** The rule language's tokens for highlighting, line by line (what the lexer calls them). */
export const rulesLanguage = StreamLanguage.define<null>({
  name: "qualify-rules",
  token(stream) {
    if (stream.eatSpace()) return null;
    if (stream.match("#")) {
      stream.skipToEnd();
      return "comment";
    }
    if (stream.match(/^"(?:[^"\\]|\\.)*"?/)) return "string";
    // Curly or single quotes: the compiler reports them; shown as an error at once.
    if (stream.match(/^(?:[\u201c\u201d\u201e][^\u201c\u201d"]*[\u201c\u201d]?|'[^'"]*'?)/)) return "invalid";
    if (stream.match(/^[+-]?\d+(?:\.\d+)?%?/)) return "number";
    if (stream.match(/^(?:=>|>=|<=|!=|=|>|<|\|)/)) return "operator";
    const word = stream.match(/^[A-Za-z_][A-Za-z0-9_]*/);
    if (word && typeof word === "object") {
      const text = word[0];
      if (KEYWORD.test(text)) return "keyword";
      return LEAD_FIELD_SET.has(text) ? "propertyName" : "variableName";
    }
    stream.next();
    return null;
  },
  startState: () => null,
  languageData: { commentTokens: { line: "#" } },
});

// Colours with a contrast of at least 4.5:1 on white (and on the active line's tint).
const highlightStyle = HighlightStyle.define([
  { tag: tags.comment, color: "#5f6b7a", fontStyle: "italic" },
  { tag: tags.string, color: "#a3321d" },
  { tag: tags.number, color: "#17603a" },
  { tag: tags.keyword, color: "#7a2a9c", fontWeight: "600" },
  { tag: tags.operator, color: "#1d2330" },
  { tag: tags.propertyName, color: "#1f5fbf" },
  { tag: tags.invalid, color: "#b3261e", textDecoration: "underline wavy" },
]);

export interface RulesEditorHooks {
  /** Every diagnosis: the diagnostics and the text they are about. */
  onDiagnostics(diagnostics: EditorDiagnostic[], source: string): void;
  /** Interaction types seen in the data (for completion). */
  interactionTypes(): readonly string[];
}

/**
 * Applies a diagnostic's fix to the editor. `diagnosedSource` is the text the fix was computed on:
 * if the text changed since, the fix is computed again on the text as it is (or nothing happens
 * when the problem is gone).
 */
export function applyFix(view: EditorView, diagnostic: EditorDiagnostic, diagnosedSource: string): boolean {
  const now = view.state.doc.toString();
  let fix: Fix | undefined = diagnostic.fix;
  if (now !== diagnosedSource) fix = diagnose(now).find((d) => d.code === diagnostic.code && d.message === diagnostic.message)?.fix;
  if (fix === undefined) return false;
  const last = fix.edits[fix.edits.length - 1];
  view.dispatch({
    changes: fix.edits.map((e) => ({ from: e.from, to: e.to, insert: e.insert })),
    selection: { anchor: last.from + last.insert.length },
    scrollIntoView: true,
    userEvent: "input.fix",
  });
  view.focus();
  return true;
}

/** Puts the cursor at a diagnostic and scrolls to it. */
export function revealDiagnostic(view: EditorView, diagnostic: EditorDiagnostic): void {
  const at = Math.min(diagnostic.from, view.state.doc.length);
  view.dispatch({ selection: { anchor: at, head: Math.min(Math.max(diagnostic.to, at), view.state.doc.length) }, scrollIntoView: true });
  view.focus();
}

function rulesLinter(hooks: RulesEditorHooks): Extension {
  return linter(
    (view) => {
      const source = view.state.doc.toString();
      const start = performance.now();
      const found = diagnose(source);
      performance.measure(DIAGNOSE_MEASURE, { start, detail: { characters: source.length } });
      hooks.onDiagnostics(found, source);
      const length = view.state.doc.length;
      return found.map(
        (d): LintDiagnostic => ({
          from: Math.min(d.from, length),
          to: Math.min(d.to, length),
          severity: d.severity,
          source: d.code,
          message: d.message,
          actions: d.fix ? [{ name: d.fix.title, apply: (v) => void applyFix(v, d, source) }] : undefined,
        }),
      );
    },
    { delay: LINT_DELAY_MS },
  );
}

const COMPLETION_TYPES: Record<CompletionKind, string> = {
  keyword: "keyword",
  operator: "keyword",
  unit: "keyword",
  metric: "keyword",
  field: "property",
  property: "property",
  stage: "enum",
  group: "class",
  interactionType: "type",
};

function rulesCompletion(hooks: RulesEditorHooks) {
  return (context: CompletionContext): CompletionResult | null => {
    const word = context.matchBefore(/[A-Za-z0-9_]*/);
    const line = context.state.doc.lineAt(context.pos);
    const before = line.text.slice(0, context.pos - line.from);
    // While typing: in a word, or where a name starts (after `stage `, in `group "`).
    if (!context.explicit && (word === null || word.from === word.to) && !/(?:\b(?:stage|has)\s+|\bgroup\s+"|\.)$/.test(before)) return null;
    const result = complete(context.state.doc.toString(), context.pos, { interactionTypes: hooks.interactionTypes() });
    if (result.items.length === 0) return null;
    const options: Completion[] = result.items.map((item) => ({
      label: item.label,
      type: COMPLETION_TYPES[item.kind],
      detail: item.detail,
      apply: item.insert,
      // The language's order: the likeliest names of the place first.
      boost: 90 - Number.parseInt(item.sortText[0] ?? "5", 36) * 10,
    }));
    return { from: result.from, to: result.to, options, validFor: /^[A-Za-z0-9_]*$/ };
  };
}

/** The language's hover (markdown: `code` spans become <code>, the rest is text). */
const rulesHover = hoverTooltip((view, pos) => {
  const found = hover(view.state.doc.toString(), pos);
  if (found === null) return null;
  return {
    pos: found.from,
    end: found.to,
    above: true,
    create: () => {
      const dom = document.createElement("div");
      dom.className = "rules-hover";
      found.markdown
        .replace(/\*\*/g, "")
        .split(/(`[^`]*`)/)
        .forEach((part) => {
          const code = part.startsWith("`") && part.endsWith("`") && part.length > 1;
          const node = code ? document.createElement("code") : document.createTextNode(part);
          if (code) node.textContent = part.slice(1, -1);
          dom.appendChild(node);
        });
      return { dom };
    },
  };
});

/** Everything the model editor adds to CodeMirror. */
export function rulesEditor(hooks: RulesEditorHooks, onChange: (source: string) => void): Extension {
  return [
    lineNumbers(),
    highlightActiveLineGutter(),
    history(),
    drawSelection(),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    rulesLanguage,
    syntaxHighlighting(highlightStyle),
    rulesLinter(hooks),
    lintGutter(),
    autocompletion({ override: [rulesCompletion(hooks)], icons: false }),
    rulesHover,
    // No Tab binding: Tab leaves the editor, so the page stays keyboard-usable.
    keymap.of([...closeBracketsKeymap, ...defaultKeymap, ...searchKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
    // tabindex: the scroller is then seen (by axe too) to hold a focusable element.
    EditorView.contentAttributes.of({ "aria-label": "Model source", "aria-describedby": "model-source-help", tabindex: "0" }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) onChange(update.state.doc.toString());
    }),
  ];
}
