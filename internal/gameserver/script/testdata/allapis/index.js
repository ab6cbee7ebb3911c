// A GameLift Realtime script that uses every API Leapfrog offers scripts.
// Test fixture for gameserver/script: each op code exercises one API and
// answers so that the test can check it over a real connection.
'use strict';

const ops = require('./lib/ops');
const util = require('util');

let session;
let logger;
let healthy = true;
let started = false;
let hoard = [];

const configuration = {
  pingIntervalTime: 30000,
  maxPlayers: 4,
};

function init(rtSession) {
  session = rtSession;
  logger = session.getLogger();
  logger.info('init: server id %d, all players group %d', session.getServerId(), session.getAllPlayersGroupId());
}

function onProcessStarted(args) {
  logger.debug('process started with', args);
  return args.indexOf('--refuse') < 0;
}

function onStartGameSession(gameSession) {
  started = gameSession.gameSessionId === session.getGameSessionId();
  console.log('game session %s started, max %d players', gameSession.gameSessionId, gameSession.maximumPlayerSessionCount);
}

function onProcessTerminate() {
  logger.warn('terminating');
}

function onHealthCheck() {
  return healthy;
}

function onPlayerConnect(connectMsg) {
  if (connectMsg.playerSessionId === 'crasher') throw new Error('onPlayerConnect blew up');
  return connectMsg.playerSessionId !== 'banned';
}

function onPlayerAccepted(player) {
  const text = JSON.stringify({
    peerId: player.peerId,
    playerSessionId: player.playerSessionId,
    players: session.getPlayers().size,
    started: started,
  });
  session.sendReliableMessage(session.newTextGameMessage(ops.WELCOME, session.getServerId(), text), player.peerId);
}

function onPlayerDisconnect(peerId) {
  const msg = session.newTextGameMessage(ops.PEER_LEFT, session.getServerId(), String(peerId));
  session.sendReliableGroupMessage(msg, session.getAllPlayersGroupId());
}

function report() {
  const start = process.hrtime();
  const buf = Buffer.from('frog', 'utf8');
  const elapsed = process.hrtime(start);
  return JSON.stringify({
    inspect: util.inspect({ a: [1, 'two'], m: new Map([[1, true]]) }),
    format: util.format('%s has %d legs', 'frog', 4),
    base64: buf.toString('base64'),
    hrtime: Array.isArray(elapsed) && elapsed.length === 2,
    now: Date.now(),
    date: new Date(Date.now()).toISOString(),
  });
}

function onMessage(gameMessage) {
  const from = gameMessage.sender;
  switch (gameMessage.opCode) {
  case ops.ECHO:
    session.sendMessage(session.newBinaryGameMessage(ops.ECHOED, session.getServerId(), gameMessage.payload), from);
    break;
  case ops.SHOUT:
    session.sendGroupMessage(session.newTextGameMessage(ops.SHOUTED, from, gameMessage.getPayloadAsText().toUpperCase()), session.getAllPlayersGroupId());
    break;
  case ops.TIMERS: {
    let ticks = 0;
    const interval = setInterval(function () {
      ticks++;
      if (ticks === 3) {
        clearInterval(interval);
      }
    }, 100);
    const cancelled = setTimeout(function () { throw new Error('a cleared timeout ran'); }, 200);
    clearTimeout(cancelled);
    setTimeout(function (tag) {
      session.sendMessage(session.newTextGameMessage(ops.TIMERS_DONE, -1, tag + ':' + ticks), from);
    }, 1000, 'done');
    break;
  }
  case ops.NODE:
    session.sendMessage(session.newTextGameMessage(ops.NODE_REPORT, -1, report()), from);
    break;
  case ops.THROW:
    throw new Error('boom from op ' + gameMessage.opcode);
  case ops.SPIN:
    for (;;) { /* runaway */ }
  case ops.END:
    session.processEnding().then(function (ok) {
      logger.info('process ending: ' + ok);
      session.sendMessage(session.newTextGameMessage(ops.PROCESS_ENDING, -1, String(ok)), from);
    });
    break;
  case ops.EXIT:
    process.exit(0);
    break;
  case ops.MEMBERSHIP:
    session.broadcastGroupMembershipUpdate(Number(gameMessage.getPayloadAsText()));
    break;
  case ops.REQUIRE_FS:
    try {
      require('fs');
    } catch (e) {
      session.sendMessage(session.newTextGameMessage(ops.REQUIRE_FS_ERROR, -1, String(e.message || e)), from);
    }
    break;
  case ops.SICK:
    healthy = false;
    break;
  case ops.HOARD:
    hoard.push(new Uint8Array(16 << 20));
    break;
  default:
    logger.error('unknown op code ' + gameMessage.opCode);
  }
}

// A peer-to-peer message whose text is "blocked" is dropped.
function onSendToPlayer(gameMessage) {
  return gameMessage.getPayloadAsText() !== 'blocked';
}

// Group messages with op code 99 are dropped.
function onSendToGroup(gameMessage) {
  return gameMessage.opCode !== 99;
}

// Nobody joins group 13.
function onPlayerJoinGroup(groupId, peerId) {
  return groupId !== 13;
}

// Nobody leaves group 7.
function onPlayerLeaveGroup(groupId, peerId) {
  return groupId !== 7;
}

exports.ssExports = {
  configuration: configuration,
  init: init,
  onProcessStarted: onProcessStarted,
  onStartGameSession: onStartGameSession,
  onProcessTerminate: onProcessTerminate,
  onHealthCheck: onHealthCheck,
  onPlayerConnect: onPlayerConnect,
  onPlayerAccepted: onPlayerAccepted,
  onPlayerDisconnect: onPlayerDisconnect,
  onMessage: onMessage,
  onSendToPlayer: onSendToPlayer,
  onSendToGroup: onSendToGroup,
  onPlayerJoinGroup: onPlayerJoinGroup,
  onPlayerLeaveGroup: onPlayerLeaveGroup,
};
