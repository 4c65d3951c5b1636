import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";

const ROOT = resolve(import.meta.dirname, "../../../..");

export interface BundleFigures {
  files: { file: string; bytes: number; gzipBytes: number }[];
  jsGzipBytes: number;
  cssGzipBytes: number;
  totalGzipBytes: number;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Builds the dashboard with Vite and measures what a browser downloads, gzipped. */
export async function benchWebBundle(): Promise<BundleFigures> {
  await promisify(execFile)("npm", ["run", "build", "-w", "@tickflow/web"], { cwd: ROOT, maxBuffer: 32 << 20 });
  const dist = join(ROOT, "web/dist");
  const files = walk(dist)
    .filter((f) => [".js", ".css", ".html"].includes(extname(f)))
    .map((f) => {
      const bytes = readFileSync(f);
      return { file: f.slice(dist.length + 1), bytes: bytes.length, gzipBytes: gzipSync(bytes).length };
    });
  const sum = (ext: string) => files.filter((f) => f.file.endsWith(ext)).reduce((a, f) => a + f.gzipBytes, 0);
  return {
    files,
    jsGzipBytes: sum(".js"),
    cssGzipBytes: sum(".css"),
    totalGzipBytes: files.reduce((a, f) => a + f.gzipBytes, 0),
  };
}
