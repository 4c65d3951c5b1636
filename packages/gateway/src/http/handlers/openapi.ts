import { defineEndpoint } from "../endpoint";
import { openApiDocument } from "../openapi";

/** GET /api/openapi.json: the OpenAPI 3.1 document generated from the handlers' schemas. */
export const openapi = defineEndpoint("openapi", async () => openApiDocument());

export const handler = openapi.lambda();
