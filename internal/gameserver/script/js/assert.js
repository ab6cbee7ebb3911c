// require('assert'): Node.js's assertions, throwing AssertionError.
var inspect = internals.inspect;
class AssertionError extends Error {
  constructor(options) {
    super(options.message);
    this.name = 'AssertionError';
    this.generatedMessage = !options.userMessage;
    this.code = 'ERR_ASSERTION';
    this.actual = options.actual;
    this.expected = options.expected;
    this.operator = options.operator;
  }
}
function fail(actual, expected, message, operator, defaultMessage) {
  if (message instanceof Error) throw message;
  throw new AssertionError({ message: message !== undefined ? message : defaultMessage, userMessage: message !== undefined, actual: actual, expected: expected, operator: operator });
}
function assert(value, message) { ok(value, message); }
function ok(value, message) {
  if (!value) fail(value, true, message, '==', 'The expression evaluated to a falsy value:\n\n  assert.ok(' + inspect(value) + ')\n');
}
assert.ok = ok;
assert.AssertionError = AssertionError;
assert.fail = function (message) { fail(undefined, undefined, message === undefined ? 'Failed' : message, 'fail', 'Failed'); };
assert.equal = function (a, b, m) { if (!(a == b || (a !== a && b !== b))) fail(a, b, m, '==', inspect(a) + ' == ' + inspect(b)); };
assert.notEqual = function (a, b, m) { if (a == b || (a !== a && b !== b)) fail(a, b, m, '!=', inspect(a) + ' != ' + inspect(b)); };
assert.strictEqual = function (a, b, m) {
  if (!Object.is(a, b)) fail(a, b, m, 'strictEqual', 'Expected values to be strictly equal:\n\n' + inspect(a) + ' !== ' + inspect(b) + '\n');
};
assert.notStrictEqual = function (a, b, m) {
  if (Object.is(a, b)) fail(a, b, m, 'notStrictEqual', 'Expected "actual" to be strictly unequal to: ' + inspect(b));
};
assert.deepStrictEqual = function (a, b, m) {
  if (!internals.deepEqual(a, b, true)) fail(a, b, m, 'deepStrictEqual', 'Expected values to be strictly deep-equal:\n' + inspect(a) + '\n\nshould equal\n\n' + inspect(b));
};
assert.notDeepStrictEqual = function (a, b, m) {
  if (internals.deepEqual(a, b, true)) fail(a, b, m, 'notDeepStrictEqual', 'Expected "actual" not to be strictly deep-equal to: ' + inspect(b));
};
assert.deepEqual = function (a, b, m) {
  if (!internals.deepEqual(a, b, false)) fail(a, b, m, 'deepEqual', 'Expected values to be loosely deep-equal:\n\n' + inspect(a) + '\n\nshould loosely deep-equal\n\n' + inspect(b));
};
assert.notDeepEqual = function (a, b, m) {
  if (internals.deepEqual(a, b, false)) fail(a, b, m, 'notDeepEqual', '"actual" deepEqual "expected"');
};
function matches(err, expected) {
  if (expected === undefined) return true;
  if (expected instanceof RegExp) return expected.test(String(err));
  if (typeof expected === 'function') {
    if (expected.prototype !== undefined && err instanceof expected) return true;
    if (Error.isPrototypeOf(expected)) return false;
    return expected.call({}, err) === true;
  }
  if (typeof expected === 'object') {
    return Object.keys(expected).every(function (k) {
      return expected[k] instanceof RegExp && typeof err[k] === 'string' ? expected[k].test(err[k]) : internals.deepEqual(err[k], expected[k], true);
    });
  }
  return false;
}
assert.throws = function (fn, expected, message) {
  if (typeof expected === 'string') { message = expected; expected = undefined; }
  try { fn(); } catch (e) {
    if (!matches(e, expected)) throw e;
    return;
  }
  fail(undefined, expected, message, 'throws', 'Missing expected exception' + (expected && expected.name ? ' (' + expected.name + ').' : '.'));
};
assert.doesNotThrow = function (fn, message) {
  try { fn(); } catch (e) { fail(e, undefined, message, 'doesNotThrow', 'Got unwanted exception.\nActual message: "' + (e && e.message) + '"'); }
};
assert.rejects = function (p, expected, message) {
  return Promise.resolve(typeof p === 'function' ? p() : p).then(function () {
    fail(undefined, expected, message, 'rejects', 'Missing expected rejection' + (expected && expected.name ? ' (' + expected.name + ').' : '.'));
  }, function (e) { if (!matches(e, expected)) throw e; });
};
assert.doesNotReject = function (p, message) {
  return Promise.resolve(typeof p === 'function' ? p() : p).then(function () {}, function (e) {
    fail(e, undefined, message, 'doesNotReject', 'Got unwanted rejection.\nActual message: "' + (e && e.message) + '"');
  });
};
assert.match = function (s, re, m) { if (!re.test(s)) fail(s, re, m, 'match', 'The input did not match the regular expression ' + inspect(re) + '. Input:\n\n' + inspect(s) + '\n'); };
assert.doesNotMatch = function (s, re, m) { if (re.test(s)) fail(s, re, m, 'doesNotMatch', 'The input was expected to not match the regular expression ' + inspect(re) + '. Input:\n\n' + inspect(s) + '\n'); };
assert.ifError = function (e) { if (e !== null && e !== undefined) throw e; };
assert.strict = assert;
module.exports = assert;
