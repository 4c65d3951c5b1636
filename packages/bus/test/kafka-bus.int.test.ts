import { inject } from "vitest";
import { KafkaBus } from "../src";
import { busContract } from "./contract";

const brokers = inject("kafkaBrokers").split(",");
busContract("kafka", async (prefix) => new KafkaBus({ clientId: "contract-test", brokers }, prefix), 60_000);
