/**
 * The language server behind `qualify lsp`: the rule language's editor services
 * (`src/dsl/services`) over the Language Server Protocol (`vscode-languageserver`), for any editor
 * with an LSP client (VS Code, Neovim, Helix, Emacs). It only adapts: offsets to positions, fixes
 * to quick fixes, completion items to LSP's.
 *
 * - `*.rules` (a model): diagnostics as you type (full-text sync), quick fixes, completion, hover,
 *   formatting.
 * - `*.rules.test` (model tests): run when opened and saved, and when their model is saved; each
 *   failed expectation and each unreadable line is a diagnostic at its line. The model is the open
 *   document if there is one, else the file on disk (the `model "…"` line, or the file beside it).
 */
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CodeActionKind,
  CompletionItemKind,
  createConnection,
  DiagnosticSeverity,
  MarkupKind,
  MessageType,
  ShowMessageNotification,
  StreamMessageReader,
  StreamMessageWriter,
  TextDocuments,
  TextDocumentSyncKind,
  type CodeAction,
  type CompletionItem,
  type Connection,
  type Diagnostic,
  type InitializeResult,
  type TextDocumentChangeEvent,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { parseModelTests } from "../dsl/model-test";
import { complete, diagnose, format, hover, runModelTests, type CompletionKind } from "../dsl/services";
import { MODEL_SUFFIX, TEST_SUFFIX } from "./command";

const SOURCE = "qualify";

type DocumentEvent = TextDocumentChangeEvent<TextDocument>;

const COMPLETION_KINDS: Readonly<Record<CompletionKind, CompletionItemKind>> = {
  keyword: CompletionItemKind.Keyword,
  operator: CompletionItemKind.Operator,
  unit: CompletionItemKind.Unit,
  metric: CompletionItemKind.Variable,
  field: CompletionItemKind.Field,
  property: CompletionItemKind.Property,
  stage: CompletionItemKind.EnumMember,
  group: CompletionItemKind.Module,
  interactionType: CompletionItemKind.Event,
};

const isModel = (uri: string): boolean => uri.endsWith(MODEL_SUFFIX);
const isTest = (uri: string): boolean => uri.endsWith(TEST_SUFFIX);

/** What the server was started with. */
export interface LanguageServerStreams {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/**
 * Starts the language server on two streams (stdin and stdout for `qualify lsp`). The protocol's
 * `exit` notification ends the process (0 after `shutdown`, 1 without), as LSP requires.
 */
export function startLanguageServer({ input, output }: LanguageServerStreams): Connection {
  const connection = createConnection(new StreamMessageReader(input), new StreamMessageWriter(output));
  const documents = new TextDocuments<TextDocument>(TextDocument);

  connection.onInitialize(
    (): InitializeResult => ({
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Full, save: { includeText: false } },
        completionProvider: { triggerCharacters: [".", '"'] },
        hoverProvider: true,
        documentFormattingProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      },
      serverInfo: { name: "qualify" },
    }),
  );

  const publishModel = (document: TextDocument): void => {
    const diagnostics: Diagnostic[] = diagnose(document.getText()).map((d) => ({
      range: { start: document.positionAt(d.from), end: document.positionAt(d.to) },
      severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
      code: d.code,
      source: SOURCE,
      message: d.message,
    }));
    void connection.sendDiagnostics({ uri: document.uri, diagnostics });
  };

  const publishTests = async (document: TextDocument): Promise<void> => {
    const text = document.getText();
    const modelUri = modelOf(document.uri, text);
    const model = documents.get(modelUri)?.getText() ?? (await readModel(modelUri));
    const diagnostics = model === null ? [missingModel(modelUri)] : testDiagnostics(document, text, model);
    void connection.sendDiagnostics({ uri: document.uri, diagnostics });
  };

  /** Runs the tests of every open test file of this model. */
  const rerunTestsOf = (modelUri: string): void => {
    for (const test of documents.all()) if (isTest(test.uri) && modelOf(test.uri, test.getText()) === modelUri) void publishTests(test);
  };

  documents.onDidChangeContent(({ document }: DocumentEvent) => {
    if (isModel(document.uri)) publishModel(document);
  });
  documents.onDidOpen(({ document }: DocumentEvent) => {
    if (isTest(document.uri)) void publishTests(document);
  });
  documents.onDidSave(({ document }: DocumentEvent) => {
    if (isTest(document.uri)) void publishTests(document);
    else if (isModel(document.uri)) rerunTestsOf(document.uri);
  });
  documents.onDidClose(({ document }: DocumentEvent) => void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] }));

  connection.onCodeAction(({ textDocument, range }): CodeAction[] => {
    const document = documents.get(textDocument.uri);
    if (document === undefined || !isModel(document.uri)) return [];
    const from = document.offsetAt(range.start);
    const to = document.offsetAt(range.end);
    return diagnose(document.getText()).flatMap((d) => {
      if (d.fix === undefined || d.to < from || d.from > to) return [];
      const edits = d.fix.edits.map((e) => ({ range: { start: document.positionAt(e.from), end: document.positionAt(e.to) }, newText: e.insert }));
      const diagnostic: Diagnostic = {
        range: { start: document.positionAt(d.from), end: document.positionAt(d.to) },
        severity: d.severity === "error" ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
        code: d.code,
        source: SOURCE,
        message: d.message,
      };
      return [{ title: d.fix.title, kind: CodeActionKind.QuickFix, isPreferred: true, diagnostics: [diagnostic], edit: { changes: { [document.uri]: edits } } }];
    });
  });

  connection.onCompletion(({ textDocument, position }): CompletionItem[] => {
    const document = documents.get(textDocument.uri);
    if (document === undefined || !isModel(document.uri)) return [];
    const result = complete(document.getText(), document.offsetAt(position));
    const range = { start: document.positionAt(result.from), end: document.positionAt(result.to) };
    return result.items.map((item) => ({
      label: item.label,
      kind: COMPLETION_KINDS[item.kind],
      detail: item.detail,
      sortText: item.sortText,
      filterText: item.insert ?? item.label,
      textEdit: { range, newText: item.insert ?? item.label },
    }));
  });

  connection.onHover(({ textDocument, position }) => {
    const document = documents.get(textDocument.uri);
    if (document === undefined || !isModel(document.uri)) return null;
    const found = hover(document.getText(), document.offsetAt(position));
    if (found === null) return null;
    return {
      contents: { kind: MarkupKind.Markdown, value: found.markdown },
      range: { start: document.positionAt(found.from), end: document.positionAt(found.to) },
    };
  });

  connection.onDocumentFormatting(({ textDocument }) => {
    const document = documents.get(textDocument.uri);
    if (document === undefined || !isModel(document.uri)) return [];
    const text = document.getText();
    const { formatted } = format(text);
    if (formatted === null) {
      // A notification, not a request: nothing waits for the editor to answer it.
      void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Warning, message: "Not formatted: the model has syntax errors (see Problems)." });
      return [];
    }
    if (formatted === text) return [];
    return [{ range: { start: document.positionAt(0), end: document.positionAt(text.length) }, newText: formatted }];
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}

/** The model a test file tests: its `model "…"` line, relative to it, or the file beside it without `.test`. */
function modelOf(testUri: string, text: string): string {
  const { file } = parseModelTests(text);
  if (file.model === null || !testUri.startsWith("file:")) return testUri.slice(0, -".test".length);
  return pathToFileURL(join(dirname(fileURLToPath(testUri)), file.model)).href;
}

async function readModel(uri: string): Promise<string | null> {
  if (!uri.startsWith("file:")) return null;
  return readFile(fileURLToPath(uri), "utf8").then(
    (text) => text,
    () => null,
  );
}

function missingModel(uri: string): Diagnostic {
  return {
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    severity: DiagnosticSeverity.Error,
    code: "MODEL_NOT_FOUND",
    source: SOURCE,
    message: `The model to test was not found: ${uri}. Name it with model "file.rules" above the tests, or put the test file beside it.`,
  };
}

/** A test file's problems and failed expectations, each on its line. */
function testDiagnostics(document: TextDocument, text: string, model: string): Diagnostic[] {
  const report = runModelTests(model, text);
  const onLine = (line: number, code: string, message: string): Diagnostic => {
    const start = { line: line - 1, character: 0 };
    const end = document.positionAt(document.offsetAt({ line, character: 0 }) - 1);
    return { range: { start, end: end.line === line - 1 ? end : start }, severity: DiagnosticSeverity.Error, code, source: SOURCE, message };
  };
  const diagnostics = report.errors.map((e) => onLine(e.line, "TEST_FILE", e.message));
  if (report.modelDiagnostics.some((d) => d.severity === "error")) {
    const first = report.modelDiagnostics.find((d) => d.severity === "error")!;
    diagnostics.push(onLine(1, "MODEL_ERRORS", `The model has errors, so no test ran. First: line ${first.line}:${first.column} ${first.message}`));
    return diagnostics;
  }
  for (const c of report.cases) for (const f of c.failures) diagnostics.push(onLine(f.line, "TEST_FAILED", `${c.name}: ${f.lines.join("\n")}`));
  return diagnostics;
}
