/**
 * `qualify lsp` as an editor runs it: the built CLI (`bin/qualify.js lsp --stdio`) in a child
 * process, spoken to in JSON-RPC over its stdin and stdout (vscode-jsonrpc, the library every LSP
 * client is built on): initialize, open a model with a mistake, read the published diagnostics,
 * ask for the quick fix, completion, hover and formatting, run model tests on save, shut down.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter, type MessageConnection } from "vscode-jsonrpc/node";
import { ensureBuilt, ROOT } from "../start/helpers/build";

interface Position {
  line: number;
  character: number;
}
interface Range {
  start: Position;
  end: Position;
}
interface LspDiagnostic {
  range: Range;
  severity: number;
  code: string;
  message: string;
}
interface PublishParams {
  uri: string;
  diagnostics: LspDiagnostic[];
}

let dir: string;
let server: ChildProcessWithoutNullStreams;
let rpc: MessageConnection;
let stderr = "";
const published = new Map<string, { version: number; waiters: ((p: PublishParams) => void)[]; last: PublishParams | null }>();

/** The next diagnostics the server publishes for `uri` (after the call that triggers them). */
function nextDiagnostics(uri: string): Promise<PublishParams> {
  let entry = published.get(uri);
  if (entry === undefined) published.set(uri, (entry = { version: 0, waiters: [], last: null }));
  const waiters = entry.waiters;
  return new Promise((resolve) => waiters.push(resolve));
}

const MODEL = 'rol "CEO" => +5\nvisit "/pricing" => +15\nstage MQL when score >= 50\n';

beforeAll(async () => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "qualify-lsp-"));
  server = spawn(process.execPath, [join(ROOT, "bin/qualify.js"), "lsp", "--stdio"], { cwd: dir });
  server.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  rpc = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  rpc.onNotification("textDocument/publishDiagnostics", (params: PublishParams) => {
    const entry = published.get(params.uri);
    if (entry === undefined) return;
    entry.last = params;
    for (const resolve of entry.waiters.splice(0)) resolve(params);
  });
  rpc.listen();
  const init = await rpc.sendRequest("initialize", { processId: process.pid, rootUri: pathToFileURL(dir).href, capabilities: {} });
  expect(init).toMatchObject({
    capabilities: {
      textDocumentSync: { openClose: true, change: 1 },
      completionProvider: expect.any(Object),
      hoverProvider: true,
      documentFormattingProvider: true,
      codeActionProvider: { codeActionKinds: ["quickfix"] },
    },
  });
  await rpc.sendNotification("initialized", {});
}, 120_000);

afterAll(() => {
  rpc?.dispose();
  if (server !== undefined && server.exitCode === null) server.kill();
  rmSync(dir, { recursive: true, force: true });
});

const modelUri = () => pathToFileURL(join(dir, "model.rules")).href;

async function open(uri: string, text: string, languageId = "qualify-rules"): Promise<PublishParams> {
  const diagnostics = nextDiagnostics(uri);
  await rpc.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId, version: 1, text } });
  return diagnostics;
}

async function change(uri: string, version: number, text: string): Promise<PublishParams> {
  const diagnostics = nextDiagnostics(uri);
  await rpc.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] });
  return diagnostics;
}

describe("qualify lsp", () => {
  test("publishes diagnostics at the right line and column, and offers the did-you-mean fix as a quick fix", async () => {
    const { diagnostics } = await open(modelUri(), MODEL);
    expect(diagnostics).toEqual([
      expect.objectContaining({ code: "UNKNOWN_FIELD", severity: 1, range: { start: { line: 0, character: 0 }, end: { line: 0, character: 3 } } }),
    ]);
    expect(diagnostics[0].message).toContain('"role"');

    const actions = await rpc.sendRequest<Array<{ title: string; kind: string; edit: { changes: Record<string, { range: Range; newText: string }[]> } }>>(
      "textDocument/codeAction",
      { textDocument: { uri: modelUri() }, range: diagnostics[0].range, context: { diagnostics } },
    );
    expect(actions).toEqual([
      expect.objectContaining({
        title: "Replace with 'role'",
        kind: "quickfix",
        edit: { changes: { [modelUri()]: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 3 } }, newText: "role" }] } },
      }),
    ]);

    // The editor applies the fix and sends the new text: the diagnostic goes away.
    const fixed = await change(modelUri(), 2, MODEL.replace(/^rol/, "role"));
    expect(fixed.diagnostics).toEqual([]);
  });

  test("a warning and a syntax error on later lines", async () => {
    const { diagnostics } = await change(modelUri(), 3, 'visit => +1\n\n  vist => +2\nstage MQL when\n');
    expect(diagnostics.map((d) => [d.code, d.severity, d.range.start.line, d.range.start.character])).toEqual([["SYNTAX", 1, 4, 0]]);
    const warned = await change(modelUri(), 4, 'visit => +1\n\n  vist => +2\n');
    expect(warned.diagnostics.map((d) => [d.code, d.severity, d.range.start.line, d.range.start.character, d.range.end.character])).toEqual([
      ["UNKNOWN_INTERACTION_TYPE", 2, 2, 2, 6],
    ]);
  });

  test("completion: the funnel's stages after stage, lead fields in a stage condition", async () => {
    const text = "funnel New > Warm > Hot\nvisit => +1\nstage \n";
    await change(modelUri(), 5, text);
    const items = await rpc.sendRequest<Array<{ label: string; kind: number; textEdit: { range: Range } }>>("textDocument/completion", {
      textDocument: { uri: modelUri() },
      position: { line: 2, character: 6 },
    });
    expect(items.map((i) => i.label)).toEqual(["Warm", "Hot"]);
    expect(items[0].textEdit.range).toEqual({ start: { line: 2, character: 6 }, end: { line: 2, character: 6 } });

    await change(modelUri(), 6, "stage MQL when comp");
    const fields = await rpc.sendRequest<Array<{ label: string; textEdit: { range: Range } }>>("textDocument/completion", {
      textDocument: { uri: modelUri() },
      position: { line: 0, character: 19 },
    });
    expect(fields.map((i) => i.label)).toEqual(expect.arrayContaining(["company", "companySize", "score", "has"]));
    expect(fields.find((i) => i.label === "companySize")!.textEdit.range).toEqual({ start: { line: 0, character: 15 }, end: { line: 0, character: 19 } });
  });

  test("hover explains a lead field and a rule", async () => {
    await change(modelUri(), 7, 'group "Fit" {\n  companySize >= 50 => +10\n}\n');
    const found = await rpc.sendRequest<{ contents: { kind: string; value: string }; range: Range }>("textDocument/hover", {
      textDocument: { uri: modelUri() },
      position: { line: 1, character: 4 },
    });
    expect(found.contents.kind).toBe("markdown");
    expect(found.contents.value).toContain("**companySize** · lead field · number");
    expect(found.contents.value).toContain('In group `"Fit"`');
    expect(found.range).toEqual({ start: { line: 1, character: 2 }, end: { line: 1, character: 13 } });
    const nothing = await rpc.sendRequest("textDocument/hover", { textDocument: { uri: modelUri() }, position: { line: 1, character: 1 } });
    expect(nothing).toBeNull();
  });

  test("formatting replaces the document with its canonical layout; a model with a syntax error is left alone", async () => {
    const text = 'visit   "/pricing"=>15   # pricing\nstage MQL when score>=50\n';
    await change(modelUri(), 8, text);
    const edits = await rpc.sendRequest<Array<{ range: Range; newText: string }>>("textDocument/formatting", {
      textDocument: { uri: modelUri() },
      options: { tabSize: 2, insertSpaces: true },
    });
    expect(edits).toEqual([
      { range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } }, newText: 'visit "/pricing" => +15  # pricing\n\nstage MQL when score >= 50\n' },
    ]);
    await change(modelUri(), 9, "visit => \n");
    const warned = new Promise<{ type: number; message: string }>((resolve) => rpc.onNotification("window/showMessage", resolve));
    const none = await rpc.sendRequest("textDocument/formatting", { textDocument: { uri: modelUri() }, options: { tabSize: 2, insertSpaces: true } });
    expect(none).toEqual([]);
    expect(await warned).toEqual({ type: 2, message: expect.stringContaining("syntax errors") });
  });

  test("a test file runs on open and on save: failures at the line of their expectation", async () => {
    const model = 'visit "/pricing" => +15\nstage MQL when score >= 30\n';
    writeFileSync(join(dir, "funnel.rules"), model);
    const testUri = pathToFileURL(join(dir, "funnel.rules.test")).href;
    const tests = 'test "two pricing visits"\n  -2d visit "/pricing"\n  -1d visit "/pricing"\n  expect score 30\n  expect stage SQL\n  bogus line\n';
    const { diagnostics } = await open(testUri, tests, "qualify-rules-test");
    expect(diagnostics.map((d) => [d.code, d.range.start.line])).toEqual([
      ["TEST_FILE", 5],
      ["TEST_FAILED", 4],
    ]);
    expect(diagnostics[1].message).toContain("✗ expected stage SQL, got MQL");

    const saved = nextDiagnostics(testUri);
    await rpc.sendNotification("textDocument/didSave", { textDocument: { uri: testUri } });
    expect((await saved).diagnostics).toHaveLength(2);
  });

  test("shutdown, then exit: the process ends with 0", async () => {
    const exited = new Promise<number | null>((resolve) => server.on("exit", (code) => resolve(code)));
    await rpc.sendRequest("shutdown");
    await rpc.sendNotification("exit");
    expect(await exited).toBe(0);
    expect(stderr).toBe("");
  });
});
