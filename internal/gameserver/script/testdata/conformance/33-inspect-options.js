const util = require('util');
const deep = { l1: { l2: { l3: { l4: { l5: 'bottom' } } } }, list: [[1, [2, [3, [4]]]]] };
console.log(util.inspect(deep, { depth: 1 }));
console.log(util.inspect(deep, { depth: Infinity }));
console.log(util.inspect({ a: 1, b: [1, 2], c: 'x' }, { compact: false }));
console.log(util.inspect({ a: { b: { c: 1 } }, d: 'e'.repeat(70) }, { compact: true }));
console.log(util.inspect({ k: 'v'.repeat(40), w: 'w'.repeat(40) }, { breakLength: Infinity }));
console.log(util.inspect({ k: 'v', w: 'w' }, { breakLength: 10 }));
console.log(util.inspect({ zeta: 1, alpha: 2, mid: { z: 1, a: 2 } }, { sorted: true }));
console.log(util.inspect({ get now() { return { at: 1 }; }, get n() { return 2; }, set n(v) {}, get err() { throw new Error('no'); } }, { getters: true }));
console.log(util.inspect([1, 2, 3], { showHidden: true }), util.inspect(Array.from({ length: 10 }, (_, i) => i), { maxArrayLength: 3 }));
console.log(util.inspect('s'.repeat(30), { maxStringLength: 5 }), util.inspect(['t'.repeat(12)], { maxStringLength: 1 }));
console.log(util.inspect(new Set(Array.from({ length: 5 }, (_, i) => i)), { maxArrayLength: 2 }), util.inspect(new Map([[1, 1], [2, 2]]), { maxArrayLength: 0 }));
class Money { constructor(c) { this.cents = c; } [util.inspect.custom](depth, opts, inspect) { return `Money<${(this.cents / 100).toFixed(2)}> ${depth} ${opts.depth} ${typeof inspect}`; } }
console.log(new Money(1234), [new Money(5)], { wallet: { inner: new Money(1) } });
console.log(util.inspect(new Money(1), { customInspect: false }));
class Wrap { [util.inspect.custom]() { return { wrapped: [1, 2] }; } }
class Multi { [util.inspect.custom]() { return 'line one\nline two'; } }
console.log(new Wrap(), { m: new Multi() });
const a = { name: 'a' }; const b = { name: 'b', a }; a.b = b; a.list = [a, b];
console.log(a);
console.log([a, b]);
class Registry extends Map { constructor() { super([['k', 1]]); this.extra = true; } }
class Tagged { get [Symbol.toStringTag]() { return 'Custom'; } }
class Items extends Array {}
console.log(new Registry(), new Tagged(), Items.from([1, 2]), Object.assign(Object.create(null), { x: 1 }));
console.log(Object.assign([1, 2], { extra: 'yes' }), Object.assign(() => {}, { tag: 1 }), Object.assign(function named() {}, { n: 1 }));
console.log([new Error('in array')].length, util.inspect({ e: new RangeError('nested') }).split('\n')[1].trim().startsWith('e: RangeError: nested'));
const err = new TypeError('with props'); err.code = 'E_CODE'; err.detail = { n: 1 };
const lines = util.inspect(err).split('\n');
console.log(lines[0], '|', lines.slice(-3).join(' | '));
const noStack = new Error('plain'); noStack.stack = 'Error: plain';
console.log(util.inspect(noStack), util.inspect([noStack]));
console.log([Buffer.from('abc'), Buffer.alloc(0)], Buffer.alloc(51).toString('hex').length, util.inspect(Buffer.alloc(52)).slice(-20));
console.log(new Uint16Array([1, 200, 3000]), new Float64Array(2), new Uint8Array(0), new ArrayBuffer(0), new DataView(new ArrayBuffer(1), 0));
console.log([0.1, -1e21, 2 ** 53, -0, 1e-7, NaN, -Infinity], [1n, -(2n ** 70n)]);
console.log(['\u0000\b\f\v\r', 'tab\there', 'back\\slash', 'é ✓ 日本', "'", '"', '`', '\'"`'], util.inspect('\ud800'));
console.log({ 'a-b': 1, $dollar: 2, _u: 3, '0': 4, '01': 5, 'x y': 6, [Symbol.iterator]: 7, [Symbol()]: 8, 'é': 9 });
console.log(Array.from({ length: 16 }, (_, i) => 'x'.repeat(i)), Array.from({ length: 12 }, (_, i) => -i * 111));
console.log([[1, 2, [3, 4, [5, [6]]]], { a: [{ b: { c: {} } }] }]);
console.log(new Map([[{ k: 1 }, new Set([[1, 2]])]]), new Set([new Map()]), new WeakSet(), [new WeakMap()]);
console.log(Object.create({ inherited: 1 }), Object.create(Array.prototype), new (class extends Object {})(), new (class Named extends Set {})());
console.log(util.format('%s|%d|%i|%f|%j|%o|%O|%c|%%|%x', 'str', 42.5, 42.5, '4.5e1', { j: [1] }, [1], { O: 1 }, 'color: red'), util.format('%s', 'only'), util.format('%d', 1, 2));
console.log(util.format('%s', { toString() { return 'custom toString'; } }), util.format('%s', new Map([[1, 2]])), util.format('%s', Symbol('sym')), util.format('%i', 12n), util.format('%f', 'abc'));
console.log(util.format({ a: 1 }, 'str', 3), util.format('%s %s', 'only one'), util.format('100%'), util.format('%', 'x'), util.format('%s', null, undefined));
