const assert = require('assert');
assert(true);
assert.ok(1);
assert.strictEqual(1, 1);
assert.deepStrictEqual({ a: [1, 2], m: new Map([[1, 2]]) }, { a: [1, 2], m: new Map([[1, 2]]) });
assert.throws(() => { throw new TypeError('t'); }, TypeError);
assert.throws(() => { throw new Error('match me'); }, /match/);
assert.throws(() => { throw new Error('obj'); }, { message: 'obj' });
for (const [name, fn] of [
  ['ok', () => assert.ok(0)],
  ['strictEqual', () => assert.strictEqual(1, '1')],
  ['deepStrictEqual', () => assert.deepStrictEqual({ a: 1 }, { a: '1' })],
  ['throws', () => assert.throws(() => {})],
  ['custom', () => assert.strictEqual(1, 2, 'custom message')],
  ['notStrictEqual', () => assert.notStrictEqual(1, 1)],
]) {
  try { fn(); console.log(name, 'passed'); } catch (e) {
    console.log(name, e.name, e.code, e instanceof assert.AssertionError, e.message.split('\n')[0]);
  }
}
assert.rejects(Promise.reject(new Error('r')), /r/).then(() => console.log('rejects ok'));
