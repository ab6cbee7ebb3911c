const util = require('util');
const cbStyle = (a, b, cb) => setTimeout(() => (a < 0 ? cb(new Error('negative')) : cb(null, a + b)), 1);
const p = util.promisify(cbStyle);
p(1, 2).then((v) => console.log('promisified', v));
p(-1, 2).catch((e) => console.log('rejected', e.message));
function Base() { this.base = true; }
Base.prototype.hello = function () { return 'hello'; };
function Child() { Base.call(this); }
util.inherits(Child, Base);
const c = new Child();
console.log(c.hello(), c instanceof Base, Child.super_ === Base);
console.log(util.types.isPromise(Promise.resolve()), util.types.isDate(new Date()), util.types.isRegExp(/x/), util.types.isMap(new Map()));
console.log(util.isDeepStrictEqual({ a: [1, { b: 2 }] }, { a: [1, { b: 2 }] }), util.isDeepStrictEqual([1], ['1']));
class Custom { [util.inspect.custom]() { return 'Custom<7>'; } }
console.log(new Custom(), util.inspect(new Custom()));
console.log(typeof util.inspect.custom, util.inspect('str'), util.inspect(5));

// The timers promisify to their promise forms (util.promisify.custom).
const sleepFor = util.promisify(setTimeout);
sleepFor(40, 'slept').then((v) => {
  console.log('promisified setTimeout:', v);
  return util.promisify(setImmediate)('next');
}).then((v) => console.log('promisified setImmediate:', v));
