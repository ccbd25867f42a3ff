/** The CodeMirror adapter in a DOM: the language's diagnostics reach the lint layer and the page, and fixes apply. */
import { currentCompletions, startCompletion } from "@codemirror/autocomplete";
import { forceLinting, forEachDiagnostic } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { afterEach, describe, expect, it } from "vitest";
import { applyFix, rulesEditor } from "./editor";
import type { EditorDiagnostic } from "./language";

const MODEL = `funnel Subscriber > Lead > MQL > SQL | Other
visit "/pricing" => +15
rol contains "CEO" => +5
stage MQL when score >= 30
`;

// jsdom lays nothing out: CodeMirror's measuring gets empty rectangles.
const noRects = () => Object.assign([], { item: () => null }) as unknown as DOMRectList;
Range.prototype.getClientRects ??= noRects;
Range.prototype.getBoundingClientRect ??= () => new DOMRect();

let view: EditorView | null = null;
afterEach(() => view?.destroy());

function mount(doc: string, seen: string[] = []) {
  const heard: { diagnostics: EditorDiagnostic[]; source: string }[] = [];
  const changes: string[] = [];
  view = new EditorView({
    parent: document.body,
    state: EditorState.create({
      doc,
      extensions: rulesEditor({ onDiagnostics: (diagnostics, source) => heard.push({ diagnostics, source }), interactionTypes: () => seen }, (s) => changes.push(s)),
    }),
  });
  return { view, heard, changes };
}

async function linted(v: EditorView, heard: unknown[], count: number) {
  forceLinting(v);
  for (let i = 0; i < 50 && heard.length < count; i++) await new Promise((r) => setTimeout(r, 10));
}

describe("rulesEditor", () => {
  it("names its text box for assistive technology", () => {
    const { view: v } = mount(MODEL);
    expect(v.contentDOM.getAttribute("role")).toBe("textbox");
    expect(v.contentDOM.getAttribute("aria-label")).toBe("Model source");
  });

  it("underlines what the language reports and hands the same list to the page; the fix applies", async () => {
    const { view: v, heard, changes } = mount(MODEL);
    await linted(v, heard, 1);
    const { diagnostics, source } = heard[heard.length - 1];
    expect(source).toBe(MODEL);
    const unknown = diagnostics.find((d) => d.code === "UNKNOWN_FIELD")!;
    expect(unknown).toMatchObject({ line: 3, column: 1 });
    const marks: { from: number; to: number; severity: string; actions: string[] }[] = [];
    forEachDiagnostic(v.state, (d, from, to) => marks.push({ from, to, severity: d.severity, actions: (d.actions ?? []).map((a) => a.name) }));
    expect(marks).toContainEqual({ from: unknown.from, to: unknown.to, severity: "error", actions: ["Replace with 'role'"] });

    expect(applyFix(v, unknown, source)).toBe(true);
    expect(v.state.doc.line(3).text).toBe('role contains "CEO" => +5');
    expect(changes[changes.length - 1]).toBe(v.state.doc.toString());
  });

  it("computes a fix again when the text changed since the diagnosis, and does nothing once the problem is gone", async () => {
    const { view: v, heard } = mount(MODEL);
    await linted(v, heard, 1);
    const { diagnostics, source } = heard[heard.length - 1];
    const unknown = diagnostics.find((d) => d.code === "UNKNOWN_FIELD")!;
    v.dispatch({ changes: { from: 0, insert: "# a comment\n" } });
    expect(applyFix(v, unknown, source)).toBe(true);
    expect(v.state.doc.line(4).text).toBe('role contains "CEO" => +5');
    expect(applyFix(v, unknown, source)).toBe(false);
  });

  it("completes lead fields, and the interaction types seen in the data", async () => {
    const offered = async (doc: string, seen: string[]) => {
      const { view: v } = mount(doc, seen);
      v.dispatch({ selection: { anchor: v.state.doc.length } });
      startCompletion(v);
      for (let i = 0; i < 50 && currentCompletions(v.state).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      const labels = currentCompletions(v.state).map((c) => c.label);
      v.destroy();
      return labels;
    };
    expect(await offered(`${MODEL}indus`, [])).toContain("industry");
    expect(await offered(`${MODEL}partn`, ["partner_webinar"])).toContain("partner_webinar");
    expect(await offered(`${MODEL}partn`, [])).not.toContain("partner_webinar");
  });
});
