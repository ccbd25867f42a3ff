/**
 * `qualify lsp`: the rule language's language server over stdio, for VS Code, Neovim and any other
 * editor with an LSP client (README, "Editors"). It runs until the editor sends `exit`.
 */
import { startLanguageServer } from "../lsp-server";
import { EXIT_USAGE, type CliIo, type Command } from "../command";

/** `qualify lsp`. */
export const lspCommand: Command = {
  name: "lsp",
  usage: "lsp [--stdio]",
  summary: "run the language server (LSP over stdio) for editors: diagnostics, quick fixes, completion, hover, formatting",
  async run(args: string[], io: CliIo): Promise<number> {
    // `--stdio` is what LSP clients such as vscode-languageclient pass; stdio is the only transport.
    const unknown = args.find((a) => a !== "--stdio");
    if (unknown !== undefined) {
      io.stderr.write(`qualify lsp: unknown option ${unknown}\nusage: qualify ${this.usage}\n`);
      return EXIT_USAGE;
    }
    const connection = startLanguageServer({ input: process.stdin, output: process.stdout });
    // The protocol's `exit` notification ends the process; until then, serve.
    return new Promise<number>((resolve) => connection.onExit(() => resolve(0)));
  },
};
