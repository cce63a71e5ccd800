// The letterhead logo of a document (billing.branding.logo, a PNG or JPEG file) as the renderers take it.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { InvoiceDocument } from '../billing-export/document.js';
import type { HtmlOptions } from '../billing-export/render/index.js';

/** The document's logo as a data: URI the renderers embed; no options when it has none. */
export function letterheadLogo(doc: InvoiceDocument): HtmlOptions {
  return doc.branding.logo ? { logoDataUri: logoDataUri(doc.branding.logo) } : {};
}

/** The letterhead logo (a PNG or JPEG path from the billing config) as a data: URI the renderers embed. */
function logoDataUri(file: string): string {
  const type = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' }[extname(file).toLowerCase()];
  if (!type) throw new Error(`logo ${file} is not a .png or .jpg file (billing.branding.logo)`);
  try {
    return `data:${type};base64,${readFileSync(file).toString('base64')}`;
  } catch (err) {
    throw new Error(`cannot read the logo ${file} (billing.branding.logo): ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

