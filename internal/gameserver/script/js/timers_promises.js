// require('timers/promises'): the timers as promises.
exports.setTimeout = function (ms, value) {
  return new Promise(function (resolve) { setTimeout(resolve, ms, value); });
};
exports.setImmediate = function (value) {
  return new Promise(function (resolve) { setImmediate(resolve, value); });
};
exports.scheduler = {
  wait: function (ms) { return exports.setTimeout(ms); },
  yield: function () { return exports.setImmediate(); },
};
