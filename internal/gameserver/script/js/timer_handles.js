// Timeout and Immediate are the types of the handles setTimeout and
// setImmediate return (timers.go): ref and unref change nothing (a
// session's script has no process to keep alive), and the handle is its
// id wherever a number is wanted.
function Timeout() { throw new TypeError('Illegal constructor'); }
function Immediate() { throw new TypeError('Illegal constructor'); }
[Timeout, Immediate].forEach(function (T) {
  T.prototype.ref = function ref() { return this; };
  T.prototype.unref = function unref() { return this; };
  T.prototype.hasRef = function hasRef() { return true; };
  T.prototype[Symbol.toPrimitive] = function () { return this._id; };
});
Timeout.prototype.refresh = function refresh() { internals.refreshTimer(this._id); return this; };
Timeout.prototype.close = function close() { clearTimeout(this); return this; };
exports.Timeout = Timeout;
exports.Immediate = Immediate;
