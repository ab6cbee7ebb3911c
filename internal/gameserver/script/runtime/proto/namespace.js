// Generated protobuf modules also publish their classes on the global
// namespace object proto.com.gamelift.rt.proto; scripts written against them
// may reach the classes that way.
'use strict';

exports.extend = function (classes) {
  var g = Function('return this')();
  var node = g;
  ['proto', 'com', 'gamelift', 'rt', 'proto'].forEach(function (k) {
    if (typeof node[k] !== 'object' || node[k] === null) node[k] = {};
    node = node[k];
  });
  Object.keys(classes).forEach(function (k) { node[k] = classes[k]; });
};
