/**
 * Step input templates. A string that is exactly `{{path}}` becomes the value
 * at that path (any JSON type); `{{path}}` inside a longer string is
 * interpolated as text. Paths: `input.…`, `steps.<name>.output.…`,
 * `transaction.id`.
 */

const WHOLE = /^\{\{\s*([^{}]+?)\s*\}\}$/;
const INLINE = /\{\{\s*([^{}]+?)\s*\}\}/g;
const PATH = /^(input|transaction\.id|steps\.[a-z0-9][a-z0-9._-]*?\.output)((?:\.[A-Za-z0-9_$-]+)*)$/;

export interface TemplateScope {
  transactionId: string;
  input: unknown;
  outputs: Readonly<Record<string, unknown>>;
}

export interface TemplateRef {
  path: string;
  /** The step whose output is read, when the path is `steps.<name>.output…`. */
  step?: string;
}

/** Every `{{…}}` reference in a template, or the malformed ones as errors. */
export function collectRefs(template: unknown, at = 'input'): { refs: TemplateRef[]; errors: { path: string; message: string }[] } {
  const refs: TemplateRef[] = [];
  const errors: { path: string; message: string }[] = [];
  walk(template, at, (text, where) => {
    for (const match of text.matchAll(INLINE)) {
      const ref = parseRef(match[1]);
      if (ref) refs.push(ref);
      else errors.push({ path: where, message: `unknown template path "${match[1]}"` });
    }
  });
  return { refs, errors };
}

export function renderTemplate(template: unknown, scope: TemplateScope): unknown {
  if (typeof template === 'string') {
    const whole = WHOLE.exec(template);
    if (whole) return lookup(whole[1], scope);
    return template.replace(INLINE, (_, path: string) => stringify(lookup(path, scope)));
  }
  if (Array.isArray(template)) return template.map((item) => renderTemplate(item, scope));
  if (template !== null && typeof template === 'object') {
    return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, renderTemplate(v, scope)]));
  }
  return template;
}

function parseRef(raw: string): TemplateRef | null {
  const path = raw.trim();
  const match = PATH.exec(path);
  if (!match) return null;
  const head = match[1];
  if (head.startsWith('steps.')) return { path, step: head.slice('steps.'.length, -'.output'.length) };
  if (head === 'transaction.id' && match[2] !== '') return null;
  return { path };
}

function lookup(raw: string, scope: TemplateScope): unknown {
  const ref = parseRef(raw);
  if (!ref) return null;
  if (ref.path === 'transaction.id') return scope.transactionId;
  let rest: string;
  let value: unknown;
  if (ref.step !== undefined) {
    value = Object.hasOwn(scope.outputs, ref.step) ? scope.outputs[ref.step] : undefined;
    rest = ref.path.slice(`steps.${ref.step}.output`.length);
  } else {
    value = scope.input;
    rest = ref.path.slice('input'.length);
  }
  for (const key of rest.split('.').filter(Boolean)) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return null;
    value = (value as Record<string, unknown>)[key];
  }
  return value === undefined ? null : value;
}

function stringify(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function walk(node: unknown, at: string, visit: (text: string, at: string) => void): void {
  if (typeof node === 'string') visit(node, at);
  else if (Array.isArray(node)) node.forEach((item, i) => walk(item, `${at}[${i}]`, visit));
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) walk(v, `${at}.${k}`, visit);
  }
}
