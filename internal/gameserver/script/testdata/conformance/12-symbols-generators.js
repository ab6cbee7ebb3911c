const s = Symbol('desc');
console.log(s.toString(), s.description, typeof s, Symbol.for('x') === Symbol.for('x'));
const iterable = { *[Symbol.iterator]() { yield 1; yield 2; } };
console.log([...iterable]);
function* gen() { const x = yield 1; console.log('got', x); yield x * 2; return 'end'; }
const g = gen();
console.log(g.next(), g.next(21), g.next(), g.next());
class Temp { get [Symbol.toStringTag]() { return 'Temp'; } }
console.log(Object.prototype.toString.call(new Temp()));
const obj = { [Symbol.toPrimitive](hint) { return hint === 'number' ? 42 : 'str'; } };
console.log(+obj, `${obj}`);
