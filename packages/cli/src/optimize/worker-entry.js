// A search worker thread: tsx compiles the TypeScript sources on load, as in bin/tickflow.js.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.module);
