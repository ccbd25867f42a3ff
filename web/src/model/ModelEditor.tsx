/**
 * The CodeMirror view of the model, mounted once; the page reaches it through `viewRef` (to reveal
 * a problem, apply a fix, replace the text on a revert) and hears about it through `hooks` and
 * `onChange`, read from refs so the editor is never rebuilt while someone types.
 */
import { EditorState } from "@codemirror/state";
import { EditorView } from "@codemirror/view";
import { type RefObject, useEffect, useRef } from "react";
import { rulesEditor, type RulesEditorHooks } from "./editor";

export interface ModelEditorProps {
  initial: string;
  viewRef: RefObject<EditorView | null>;
  hooks: RulesEditorHooks;
  onChange(source: string): void;
}

export function ModelEditor({ initial, viewRef, hooks, onChange }: ModelEditorProps) {
  const parent = useRef<HTMLDivElement>(null);
  const latest = useRef({ hooks, onChange });
  latest.current = { hooks, onChange };

  useEffect(() => {
    if (!parent.current) return;
    const view = new EditorView({
      parent: parent.current,
      state: EditorState.create({
        doc: initial,
        extensions: rulesEditor(
          {
            onDiagnostics: (diagnostics, source) => latest.current.hooks.onDiagnostics(diagnostics, source),
            interactionTypes: () => latest.current.hooks.interactionTypes(),
          },
          (source) => latest.current.onChange(source),
        ),
      }),
    });
    viewRef.current = view;
    return () => {
      view.destroy();
      viewRef.current = null;
    };
    // The initial text only: later texts arrive as transactions (`replaceSource`).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return <div ref={parent} className="model-editor" />;
}

/** Replaces the editor's whole text as one undoable change. */
export function replaceSource(view: EditorView, source: string): void {
  view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: source }, userEvent: "input.replace" });
}
