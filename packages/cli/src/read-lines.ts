import { closeSync, openSync, readSync } from "node:fs";

/** Lines of a file, read in 1 MiB chunks so a large replay file never sits in memory whole. */
export function* readLinesSync(path: string): Generator<string> {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(1 << 20);
    let rest = "";
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      const lines = (rest + buffer.toString("utf8", 0, n)).split("\n");
      rest = lines.pop()!;
      yield* lines;
    }
    if (rest !== "") yield rest;
  } finally {
    closeSync(fd);
  }
}
