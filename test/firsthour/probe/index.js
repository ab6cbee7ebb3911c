// A GameLift Realtime script that logs each callback the first hour cares about,
// so that test/firsthour can time them from the allocator's log.
'use strict';

let session;

function init(rtSession) {
  session = rtSession;
  session.getLogger().info('firsthour: init');
}

function onProcessStarted(args) {
  session.getLogger().info('firsthour: onProcessStarted');
  return true;
}

function onStartGameSession(gameSession) {
  session.getLogger().info('firsthour: onStartGameSession');
}

function onPlayerConnect(connectMsg) {
  return true;
}

exports.ssExports = {
  configuration: { maxPlayers: 2 },
  init: init,
  onProcessStarted: onProcessStarted,
  onStartGameSession: onStartGameSession,
  onPlayerConnect: onPlayerConnect,
};
