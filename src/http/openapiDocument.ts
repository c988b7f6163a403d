/**
 * The OpenAPI 3 document served at /openapi.json: the shared parts (info, problem schema, security)
 * here, the paths from each route module's `openapiPaths`.
 */

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

/** Standard error responses route modules can spread into an operation's `responses`. */
export const problemResponses = {
  '400': problemResponse('bad input (malformed JSON, invalid field, bad bbox)'),
  '401': problemResponse('API key missing or wrong (write endpoints, when the server has a key)'),
  '404': problemResponse('unknown id or path'),
  '413': problemResponse('request body too large'),
  '429': problemResponse('too many concurrent requests of this kind'),
  '503': problemResponse('not ready or queue full'),
};

export function jsonResponse(description: string, schema: unknown = { type: 'object' }, type = 'application/json') {
  return { description, content: { [type]: { schema } } };
}

export function buildOpenApiDocument(paths: Record<string, unknown>): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Waterline',
      version: '0.1.0',
      description: 'Surface water in georeferenced satellite scenes: jobs, GeoJSON, OGC API – Features and map tiles. See docs/http-api.md.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: {
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status', 'detail', 'code'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'string' },
            instance: { type: 'string' },
          },
        },
      },
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
  };
}
