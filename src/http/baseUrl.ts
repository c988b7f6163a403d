/** The server's own origin as the client addressed it, for absolute links (TileJSON, OGC API – Features). */
import type { Request } from 'express';

export function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}`;
}
