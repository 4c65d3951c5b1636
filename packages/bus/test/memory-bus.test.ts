import { MemoryBus } from "../src";
import { busContract } from "./contract";

busContract("in-memory", async (prefix) => new MemoryBus(prefix), 10_000);
