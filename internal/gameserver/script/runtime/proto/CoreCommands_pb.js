// The GameLift Realtime runtime's core command messages
// (com.gamelift.rt.proto), as scripts reach them with
// require('../src/proto/CoreCommands_pb'). See message.js.
'use strict';

var define = require('./message.js').define;

var ns = {};
ns.LoginCommand = define('LoginCommand', [
  { name: 'playerSessionId', no: 1, type: 'string' },
  { name: 'clientVersion', no: 2, type: 'int32' },
]);
ns.LoginResult = define('LoginResult', [
  { name: 'success', no: 1, type: 'bool' },
  { name: 'reconnectToken', no: 2, type: 'string' },
  { name: 'peerId', no: 3, type: 'int32' },
  { name: 'fastPort', no: 4, type: 'int32' },
  { name: 'caCert', no: 5, type: 'bytes' },
  { name: 'connectToken', no: 6, type: 'string' },
]);
ns.PingCommand = define('PingCommand', []);
ns.PingResult = define('PingResult', []);
ns.UDPConnectMessage = define('UDPConnectMessage', []);
ns.PlayerConnectMessage = define('PlayerConnectMessage', [{ name: 'peerId', no: 1, type: 'int32' }]);
ns.PlayerDisconnectMessage = define('PlayerDisconnectMessage', [{ name: 'peerId', no: 1, type: 'int32' }]);
ns.VerifyIdentityCommand = define('VerifyIdentityCommand', [
  { name: 'peerId', no: 1, type: 'int32' },
  { name: 'connectToken', no: 2, type: 'string' },
]);
ns.VerifyIdentityResult = define('VerifyIdentityResult', [
  { name: 'success', no: 1, type: 'bool' },
  { name: 'peerId', no: 2, type: 'int32' },
]);

require('./namespace.js').extend(ns);
module.exports = ns;
