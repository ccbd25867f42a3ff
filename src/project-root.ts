/** Where the project's own files are (the seed model, the docs the service serves), from `src/` or `dist/src/`. */
import fs from "node:fs";
import path from "node:path";

/** The project root: the nearest directory above `start` holding `package.json`. */
export function projectRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json in or above ${start}`);
  }
}
