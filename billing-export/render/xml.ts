// A tiny XML writer for UBL: escaped text and attributes, elements without content left out, two-space indent.
// NOTE: hand-written rather than a library: there is no XML library in the dependencies, the output is fully specified
// by UBL's element order, and all it needs is escaping and indentation. Well-formedness is checked by xmllint in the tests.

/** An element or nothing: `undefined`, `false` and elements with no text and no children are dropped. */
export type Node = XmlElement | undefined | false;

export interface XmlElement {
  name: string;
  attrs: [string, string][];
  text?: string;
  children: XmlElement[];
}

// XML 1.0 forbids most C0 controls even escaped; they are replaced so a stray byte in a name cannot break the document.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeText(s: string): string {
  return s.replace(FORBIDDEN, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function escapeAttr(s: string): string {
  return escapeText(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

/** A leaf with text; dropped when the text is empty or missing (Peppol R008: no empty elements). */
export function leaf(name: string, text: string | undefined, attrs: Record<string, string | undefined> = {}): Node {
  if (text === undefined || text.trim() === '') return undefined;
  return { name, attrs: Object.entries(attrs).filter((a): a is [string, string] => a[1] !== undefined), text, children: [] };
}

/** An element with children; dropped when none of them is left. */
export function node(name: string, ...children: (Node | Node[])[]): Node {
  const kept = children.flat().filter((c): c is XmlElement => !!c);
  return kept.length === 0 ? undefined : { name, attrs: [], children: kept };
}

export function withAttrs(n: Node, attrs: Record<string, string>): Node {
  return n ? { ...n, attrs: [...n.attrs, ...Object.entries(attrs)] } : n;
}

export function serialize(root: XmlElement): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const write = (e: XmlElement, depth: number) => {
    const pad = '  '.repeat(depth);
    const attrs = e.attrs.map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('');
    if (e.children.length === 0) out.push(`${pad}<${e.name}${attrs}>${escapeText(e.text ?? '')}</${e.name}>`);
    else {
      out.push(`${pad}<${e.name}${attrs}>`);
      for (const c of e.children) write(c, depth + 1);
      out.push(`${pad}</${e.name}>`);
    }
  };
  write(root, 0);
  return `${out.join('\n')}\n`;
}
