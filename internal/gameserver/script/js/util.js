// require('util'): inspect and format as Node.js prints, and the helpers
// scripts use.
var inspect = internals.inspect;
exports.inspect = inspect;
exports.format = internals.format;
exports.formatWithOptions = function (opts) { return internals.format.apply(null, Array.prototype.slice.call(arguments, 1)); };
var kCustomPromisify = Symbol.for('nodejs.util.promisify.custom');
exports.promisify = function promisify(fn) {
  if (typeof fn !== 'function') throw new TypeError('The "original" argument must be of type function. Received ' + inspect(fn));
  if (fn[kCustomPromisify]) return fn[kCustomPromisify];
  // Node's timers carry their promise forms as util.promisify.custom: (ms,
  // value) resolving with value, not a callback appended to the arguments.
  if (fn === setTimeout) return internals.module('timers/promises').setTimeout;
  if (fn === setImmediate) return internals.module('timers/promises').setImmediate;
  function promisified() {
    var self = this, args = Array.prototype.slice.call(arguments);
    return new Promise(function (resolve, reject) {
      args.push(function (err, value) { if (err) reject(err); else resolve(value); });
      fn.apply(self, args);
    });
  }
  Object.setPrototypeOf(promisified, Object.getPrototypeOf(fn));
  return Object.defineProperties(promisified, Object.getOwnPropertyDescriptors(fn));
};
exports.promisify.custom = kCustomPromisify;
exports.callbackify = function callbackify(fn) {
  return function () {
    var args = Array.prototype.slice.call(arguments), cb = args.pop(), self = this;
    fn.apply(self, args).then(function (v) { process.nextTick(cb, null, v); }, function (e) { process.nextTick(cb, e); });
  };
};
exports.inherits = function inherits(ctor, superCtor) {
  if (typeof superCtor !== 'function' || superCtor.prototype === undefined) {
    throw new TypeError('The "superCtor" argument must be of type function. Received ' + inspect(superCtor));
  }
  Object.defineProperty(ctor, 'super_', { value: superCtor, writable: true, configurable: true });
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
};
exports.deprecate = function deprecate(fn, msg) {
  var warned = false;
  return function () {
    if (!warned) { warned = true; process.emitWarning(msg, 'DeprecationWarning'); }
    return fn.apply(this, arguments);
  };
};
var tag = function (v) { return Object.prototype.toString.call(v).slice(8, -1); };
exports.types = {
  isPromise: function (v) { return v instanceof Promise; },
  isDate: function (v) { return v instanceof Date; },
  isRegExp: function (v) { return v instanceof RegExp; },
  isMap: function (v) { return v instanceof Map; },
  isSet: function (v) { return v instanceof Set; },
  isWeakMap: function (v) { return v instanceof WeakMap; },
  isWeakSet: function (v) { return v instanceof WeakSet; },
  isNativeError: function (v) { return v instanceof Error; },
  isTypedArray: function (v) { return ArrayBuffer.isView(v) && !(v instanceof DataView); },
  isUint8Array: function (v) { return v instanceof Uint8Array; },
  isArrayBuffer: function (v) { return v instanceof ArrayBuffer; },
  isAnyArrayBuffer: function (v) { return v instanceof ArrayBuffer; },
  isDataView: function (v) { return v instanceof DataView; },
  isAsyncFunction: function (v) { return typeof v === 'function' && tag(v) === 'AsyncFunction'; },
  isGeneratorFunction: function (v) { return typeof v === 'function' && /^(Async)?GeneratorFunction$/.test(tag(v)); },
  isBoxedPrimitive: function (v) { return v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof BigInt || v instanceof Symbol; },
};
exports.isArray = Array.isArray;
exports.isDeepStrictEqual = function (a, b) { return internals.deepEqual(a, b, true); };
exports.TextEncoder = typeof TextEncoder === 'function' ? TextEncoder : undefined;
exports.TextDecoder = typeof TextDecoder === 'function' ? TextDecoder : undefined;
