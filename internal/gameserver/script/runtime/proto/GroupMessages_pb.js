// The GameLift Realtime runtime's group messages (com.gamelift.rt.proto), as
// scripts reach them with require('../src/proto/GroupMessages_pb').
'use strict';

var define = require('./message.js').define;

var ns = {};
ns.JoinGroup = define('JoinGroup', [{ name: 'group', no: 1, type: 'int32' }]);
ns.LeaveGroup = define('LeaveGroup', [{ name: 'group', no: 1, type: 'int32' }]);
ns.RequestGroupMembership = define('RequestGroupMembership', [{ name: 'group', no: 1, type: 'int32' }]);
ns.GroupMembershipUpdate = define('GroupMembershipUpdate', [
  { name: 'group', no: 1, type: 'int32' },
  { name: 'players', no: 2, type: 'int32', repeated: true },
]);

require('./namespace.js').extend(ns);
module.exports = ns;
