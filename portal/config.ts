// The `portal:` config section: the signing secret of customer links and where the portal listens.
import { z } from 'zod';
import { duration, listenAddress } from '../config/primitives.js';

export const portalSchema = z.strictObject({
  /** HMAC-SHA256 key of customer links, at least 32 characters. Never logged; changing it revokes every link. */
  secret: z.string().min(32, { message: 'too short (expected at least 32 characters: links are only as strong as this key)' }),
  /** HTTP listen address; put a TLS reverse proxy in front for customers outside the LAN. */
  listen: listenAddress.default('127.0.0.1:8080'),
  /** Base URL printed by `wispmeter portal link` (e.g. https://usage.example.net); http://LISTEN when absent. */
  publicUrl: z.string().url().optional(),
  /** How long a link printed by `wispmeter portal link` stays valid unless --days says otherwise. */
  linkLifetime: duration.default(30 * 86_400_000),
});

export type PortalConfig = z.infer<typeof portalSchema>;
