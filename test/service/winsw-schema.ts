// The structure of a WinSW service definition (winsw/winsw doc/xmlConfigFile.md), as a small
// schema checked against the DOM that @xmldom/xmldom parses. WinSW publishes no XSD; this
// covers the elements the agent writes plus the common ones, and rejects anything else.
import { DOMParser, type Element } from '@xmldom/xmldom';

const DURATION = /^\d+\s*(ms|sec|secs|min|mins|hour|hours|day|days)?$/;

interface ElementSpec {
  required?: boolean;
  repeat?: boolean;
  /** Allowed text, when the element holds text. */
  text?: RegExp | readonly string[];
  attributes?: Record<string, { required?: boolean; values?: RegExp | readonly string[] }>;
  children?: Record<string, ElementSpec>;
}

export const WINSW_SCHEMA: Record<string, ElementSpec> = {
  id: { required: true, text: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/ },
  name: { text: /\S/ },
  description: { text: /\S/ },
  executable: { required: true, text: /\S/ },
  arguments: { text: /[\s\S]*/ },
  workingdirectory: { text: /\S/ },
  startmode: { text: ['Automatic', 'Manual', 'Boot', 'System', 'Disabled'] },
  delayedAutoStart: { text: ['true', 'false'] },
  depend: { repeat: true, text: /^\S+$/ },
  onfailure: { repeat: true, attributes: { action: { required: true, values: ['restart', 'reboot', 'none'] }, delay: { values: DURATION } } },
  resetfailure: { text: DURATION },
  stoptimeout: { text: DURATION },
  logpath: { text: /\S/ },
  log: {
    attributes: { mode: { required: true, values: ['append', 'reset', 'ignore', 'roll', 'roll-by-time', 'roll-by-size', 'roll-by-size-time'] } },
    children: { sizeThreshold: { text: /^\d+$/ }, keepFiles: { text: /^\d+$/ }, pattern: { text: /\S/ }, autoRollAtTime: { text: /\S/ } },
  },
  env: { repeat: true, attributes: { name: { required: true, values: /^\S+$/ }, value: { required: true, values: /[\s\S]*/ } } },
  priority: { text: ['idle', 'belownormal', 'normal', 'abovenormal', 'high', 'realtime'] },
};

function allowed(value: string, rule: RegExp | readonly string[]): boolean {
  return rule instanceof RegExp ? rule.test(value) : rule.includes(value);
}

function elements(parent: Element): Element[] {
  const out: Element[] = [];
  for (let n = parent.firstChild; n; n = n.nextSibling) if (n.nodeType === 1) out.push(n as unknown as Element);
  return out;
}

function check(el: Element, spec: Record<string, ElementSpec>, where: string, errors: string[]): void {
  const seen = new Map<string, number>();
  for (const child of elements(el)) {
    const name = child.tagName;
    const s = spec[name];
    if (!s) {
      errors.push(`${where}/${name}: unknown element`);
      continue;
    }
    seen.set(name, (seen.get(name) ?? 0) + 1);
    const at = `${where}/${name}`;
    for (const [attr, rule] of Object.entries(s.attributes ?? {})) {
      const v = child.getAttribute(attr);
      if (v === null || !child.hasAttribute(attr)) {
        if (rule.required) errors.push(`${at}: attribute '${attr}' is required`);
      } else if (rule.values && !allowed(v, rule.values)) errors.push(`${at}: attribute ${attr}="${v}" is not allowed`);
    }
    for (let i = 0; i < child.attributes.length; i++) {
      const a = child.attributes.item(i)!;
      if (!s.attributes?.[a.name]) errors.push(`${at}: unknown attribute '${a.name}'`);
    }
    if (s.text !== undefined && !allowed((child.textContent ?? '').trim(), s.text)) errors.push(`${at}: text '${child.textContent}' is not allowed`);
    if (s.children) check(child, s.children, at, errors);
    else if (elements(child).length > 0) errors.push(`${at}: holds elements, expected text only`);
  }
  for (const [name, s] of Object.entries(spec)) {
    if (s.required && !seen.has(name)) errors.push(`${where}/${name}: required element missing`);
    if (!s.repeat && (seen.get(name) ?? 0) > 1) errors.push(`${where}/${name}: may appear once`);
  }
}

/** Parse errors and schema violations, [] when the document is a valid WinSW configuration. */
export function validateWinsw(text: string): string[] {
  const errors: string[] = [];
  let doc;
  try {
    doc = new DOMParser({ onError: (level, msg) => { if (level !== 'warning') errors.push(`xml ${level}: ${msg}`); } }).parseFromString(text, 'text/xml');
  } catch (e) {
    return [`xml: ${(e as Error).message}`];
  }
  if (errors.length > 0) return errors;
  const root = doc.documentElement;
  if (!root || root.tagName !== 'service') return [`root element must be <service>, got <${root?.tagName}>`];
  check(root as unknown as Element, WINSW_SCHEMA, '/service', errors);
  return errors;
}
