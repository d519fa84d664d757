import { collectRefs, renderTemplate, type TemplateScope } from './template.render';

const scope: TemplateScope = {
  transactionId: 'tx-1',
  input: { total: 42, orderId: 'o-1', flags: { gift: true }, items: [{ sku: 'a' }, { sku: 'b' }], nothing: null },
  outputs: { reserve: { id: 'r-9', lines: [1, 2] }, charge: 'ch-1' },
};

describe(renderTemplate.name, () => {
  it('keeps the JSON type of a whole-value substitution', () => {
    expect(renderTemplate('{{input.total}}', scope)).toBe(42);
    expect(renderTemplate('{{input.flags.gift}}', scope)).toBe(true);
    expect(renderTemplate('{{input.flags}}', scope)).toEqual({ gift: true });
    expect(renderTemplate('{{steps.reserve.output.lines}}', scope)).toEqual([1, 2]);
    expect(renderTemplate('{{input.nothing}}', scope)).toBeNull();
  });

  it('tolerates whitespace inside the braces', () => {
    expect(renderTemplate('{{  input.total }}', scope)).toBe(42);
  });

  it('returns the whole input and whole outputs', () => {
    expect(renderTemplate('{{input}}', scope)).toEqual(scope.input);
    expect(renderTemplate('{{steps.charge.output}}', scope)).toBe('ch-1');
  });

  it('interpolates references inside a longer string', () => {
    expect(renderTemplate('order {{input.orderId}} costs {{input.total}}', scope)).toBe('order o-1 costs 42');
    expect(renderTemplate('{{input.orderId}}{{input.total}}', scope)).toBe('o-142');
    expect(renderTemplate('r={{steps.reserve.output.id}}', scope)).toBe('r=r-9');
  });

  it('interpolates objects and arrays as JSON', () => {
    expect(renderTemplate('flags: {{input.flags}}', scope)).toBe('flags: {"gift":true}');
  });

  it('renders a missing path as null when whole and as empty text when interpolated', () => {
    expect(renderTemplate('{{input.missing.deeper}}', scope)).toBeNull();
    expect(renderTemplate('{{steps.unknown.output.id}}', scope)).toBeNull();
    expect(renderTemplate('{{input.total.digits}}', scope)).toBeNull();
    expect(renderTemplate('a{{input.missing}}b{{input.nothing}}c', scope)).toBe('abc');
  });

  it('does not read inherited properties', () => {
    expect(renderTemplate('{{input.constructor}}', scope)).toBeNull();
    expect(renderTemplate('{{input.toString}}', scope)).toBeNull();
  });

  it('does not read an inherited property as the output of a step named like one (constructor is a valid step name)', () => {
    expect(renderTemplate('{{steps.constructor.output}}', scope)).toBeNull();
    expect(renderTemplate('{{steps.hasownproperty.output}}', { ...scope, outputs: Object.create({ hasownproperty: 'inherited' }) })).toBeNull();
    expect(renderTemplate('x{{steps.constructor.output.name}}y', scope)).toBe('xy');
    expect(renderTemplate('{{steps.constructor.output}}', { ...scope, outputs: { constructor: { id: 1 } } })).toEqual({ id: 1 });
  });

  it('leaves template-like text of other languages as it is, evaluating nothing', () => {
    for (const text of ['${process.exit(1)}', '${input.total}', '<%= 7*7 %>', '#{7*7}', '{% if 1 %}']) expect(renderTemplate(text, scope)).toBe(text);
    expect(renderTemplate('{{ 7*7 }}', scope)).toBeNull();
    expect(renderTemplate('{{constructor.constructor("return process")()}}', scope)).toBeNull();
    expect(renderTemplate('a {{input.total + 1}} b', scope)).toBe('a  b');
  });

  it('indexes arrays by position', () => {
    expect(renderTemplate('{{input.items.1.sku}}', scope)).toBe('b');
  });

  it('renders nested objects and arrays', () => {
    expect(
      renderTemplate(
        { order: { id: '{{input.orderId}}', amounts: ['{{input.total}}', 7, null, true] }, note: 'tx {{transaction.id}}', skus: [['{{input.items.0.sku}}']] },
        scope,
      ),
    ).toEqual({ order: { id: 'o-1', amounts: [42, 7, null, true] }, note: 'tx tx-1', skus: [['a']] });
  });

  it('renders transaction.id', () => {
    expect(renderTemplate('{{transaction.id}}', scope)).toBe('tx-1');
  });

  it('leaves strings without references and non-string scalars untouched', () => {
    expect(renderTemplate('plain {text}', scope)).toBe('plain {text}');
    expect(renderTemplate(3.5, scope)).toBe(3.5);
    expect(renderTemplate(false, scope)).toBe(false);
    expect(renderTemplate(null, scope)).toBeNull();
  });

  it('renders a malformed reference as null instead of throwing', () => {
    expect(renderTemplate('{{order.total}}', scope)).toBeNull();
  });

  it('does not modify the template', () => {
    const template = { a: ['{{input.total}}'] };
    renderTemplate(template, scope);
    expect(template).toEqual({ a: ['{{input.total}}'] });
  });
});

describe(collectRefs.name, () => {
  it('collects every reference with the step it reads', () => {
    expect(collectRefs({ a: '{{input.x}}', b: ['{{steps.pay.output.id}}-{{transaction.id}}'], c: 5 })).toEqual({
      refs: [{ path: 'input.x' }, { path: 'steps.pay.output.id', step: 'pay' }, { path: 'transaction.id' }],
      errors: [],
    });
  });

  it('handles step names containing dots', () => {
    expect(collectRefs('{{steps.a.b.output.id}}').refs).toEqual([{ path: 'steps.a.b.output.id', step: 'a.b' }]);
  });

  it('reports malformed references with the path where they occur', () => {
    expect(collectRefs({ a: ['ok', '{{foo}}'], b: '{{transaction.id.x}}' }, 'steps[1].input')).toEqual({
      refs: [],
      errors: [
        { path: 'steps[1].input.a[1]', message: 'unknown template path "foo"' },
        { path: 'steps[1].input.b', message: 'unknown template path "transaction.id.x"' },
      ],
    });
  });
});
