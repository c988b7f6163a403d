/**
 * The methods the API document gives a concrete path (`/jobs/1234/cancel` matches `/jobs/{id}/cancel`), so a request
 * with another method gets 405 and an `Allow` header instead of 404 "no resource".
 */
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/** One matcher per templated path of the OpenAPI `paths` object. */
export function methodTable(paths: Record<string, unknown>): { pattern: RegExp; methods: string[] }[] {
  return Object.entries(paths).map(([template, item]) => ({
    pattern: new RegExp(`^${template.split('/').map((part) => (/^\{[^}]+\}$/.test(part) ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}/?$`),
    methods: METHODS.filter((m) => typeof item === 'object' && item !== null && m in item).map((m) => m.toUpperCase()),
  }));
}

/** The `Allow` list of a path (GET brings HEAD, every path OPTIONS), or null when the document has no such path. */
export function allowedMethods(table: ReturnType<typeof methodTable>, path: string): string[] | null {
  const methods = new Set<string>();
  for (const { pattern, methods: m } of table) if (pattern.test(path)) for (const x of m) methods.add(x);
  if (methods.size === 0) return null;
  if (methods.has('GET')) methods.add('HEAD');
  methods.add('OPTIONS');
  return [...methods];
}
