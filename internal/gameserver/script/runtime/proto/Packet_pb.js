// The GameLift Realtime runtime's Packet (com.gamelift.rt.proto): the
// envelope of every message between clients and the server, as published
// scripts reach it with require('../src/proto/Packet_pb'). Like a generated
// module it also exports the messages of CoreCommands_pb and
// GroupMessages_pb, which share its namespace.
'use strict';

var define = require('./message.js').define;
var core = require('./CoreCommands_pb.js');
var group = require('./GroupMessages_pb.js');

var ns = {};
ns.Packet = define('Packet', [
  { name: 'opCode', no: 1, type: 'sint32' },
  { name: 'sequenceNumber', no: 2, type: 'int32' },
  { name: 'targetPlayer', no: 3, type: 'int32' },
  { name: 'targetGroup', no: 4, type: 'int32' },
  { name: 'sender', no: 5, type: 'int32' },
  { name: 'reliable', no: 6, type: 'bool' },
  { name: 'clientVersion', no: 7, type: 'int32' },
  { name: 'payload', no: 15, type: 'bytes' },
  { name: 'login', no: 30, type: 'message', message: core.LoginCommand, oneof: 'message' },
  { name: 'loginResult', no: 31, type: 'message', message: core.LoginResult, oneof: 'message' },
  { name: 'ping', no: 32, type: 'message', message: core.PingCommand, oneof: 'message' },
  { name: 'pingResult', no: 33, type: 'message', message: core.PingResult, oneof: 'message' },
  { name: 'udpConnect', no: 34, type: 'message', message: core.UDPConnectMessage, oneof: 'message' },
  { name: 'playerConnect', no: 35, type: 'message', message: core.PlayerConnectMessage, oneof: 'message' },
  { name: 'playerDisconnect', no: 36, type: 'message', message: core.PlayerDisconnectMessage, oneof: 'message' },
  { name: 'verifyIdentity', no: 37, type: 'message', message: core.VerifyIdentityCommand, oneof: 'message' },
  { name: 'verifyIdentityResult', no: 38, type: 'message', message: core.VerifyIdentityResult, oneof: 'message' },
  { name: 'joinGroup', no: 40, type: 'message', message: group.JoinGroup, oneof: 'message' },
  { name: 'leaveGroup', no: 41, type: 'message', message: group.LeaveGroup, oneof: 'message' },
  { name: 'requestGroupMembership', no: 42, type: 'message', message: group.RequestGroupMembership, oneof: 'message' },
  { name: 'groupMembershipUpdate', no: 43, type: 'message', message: group.GroupMembershipUpdate, oneof: 'message' },
], { message: [30, 31, 32, 33, 34, 35, 36, 37, 38, 40, 41, 42, 43] });

require('./namespace.js').extend(ns);
module.exports = Object.assign({}, core, group, ns);
