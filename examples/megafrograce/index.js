// Mega Frog Race as a GameLift Realtime script: the original sample's rules
// (a hop moves 0.2 of the track in 4 s; each press during a hop adds 0.1 s;
// first to the line wins) on the Leapfrog race protocol, so the Leapfrog Go
// client, bot and browser client play it unchanged. Rules can be changed
// with process arguments, e.g. --hop-duration-ms=40.
'use strict';

const msg = require('./messages');

// Op codes: server to client, then client to server.
const OP = { ASSIGN_PLAYER: 100, COUNTDOWN: 101, FROG_MOVED: 102, RACE_RESULT: 103, SNAPSHOT: 104, PLAYER_STATUS: 105, SCENE_READY: 200, HOP: 201 };
const PHASE = { WAITING: 1, COUNTDOWN: 2, RACING: 3, FINISHED: 4 };
const CAUSE = { HOP: 1, PENALTY: 2, LANDED: 3 };
const REASON = { FINISH: 1, FORFEIT: 2 };
const STATUS = { CONNECTED: 1, RECONNECTING: 2, FORFEITED: 3 };

const rules = {
  hopDistance: 0.2,
  hopDurationMs: 4000,
  hopPenaltyMs: 100,
  finishLine: 1.0,
  players: 2,
  countdownMs: 3000,
  reconnectGraceMs: 10000,
};

let session;
let logger;
let phase = PHASE.WAITING;
let startAt = 0;
let result = null;
const frogs = []; // by lane
const landing = []; // landing timer by lane
const grace = []; // reconnect grace timer by lane

function hopsToFinish() {
  return Math.ceil(rules.finishLine / rules.hopDistance - 1e-9);
}

// position is computed from hop counts, never by adding floats, so that
// five hops of 0.2 land exactly on 1.0.
function position(hops) {
  return hops >= hopsToFinish() ? rules.finishLine : hops * rules.hopDistance;
}

function laneOfPeer(peerId) {
  for (let i = 0; i < frogs.length; i++) {
    if (frogs[i].peerId === peerId) return i;
  }
  return -1;
}

function wire(f) {
  return {
    lane: f.lane, playerId: f.playerId, from: f.hops > 0 ? position(f.hops - 1) : 0, to: position(f.hops),
    hopStartMs: f.hopStartMs, hopEndMs: f.hopEndMs, penaltyMs: f.penaltyMs, hops: f.hops, penalties: f.penalties,
    hopping: f.hopping, connected: f.connected, finishedAtMs: f.finishedAtMs,
  };
}

function broadcast(op, payload) {
  session.sendReliableGroupMessage(session.newBinaryGameMessage(op, session.getServerId(), payload), session.getAllPlayersGroupId());
}

function sendTo(peerId, op, payload) {
  session.sendReliableMessage(session.newBinaryGameMessage(op, session.getServerId(), payload), peerId);
}

function moved(lane, cause) {
  broadcast(OP.FROG_MOVED, msg.frogMoved(wire(frogs[lane]), Date.now(), cause));
}

// snapshot is the whole race: every lane, taken or not.
function snapshot() {
  const lanes = [];
  for (let i = 0; i < rules.players; i++) {
    lanes.push(frogs[i] ? wire(frogs[i]) : { lane: i });
  }
  return msg.snapshot(phase, lanes, startAt, Date.now(), result);
}

function init(rtSession) {
  session = rtSession;
  logger = session.getLogger();
}

// onProcessStarted reads rule overrides: --hop-duration-ms=40 and so on.
function onProcessStarted(args) {
  const names = {
    'hop-distance': 'hopDistance', 'hop-duration-ms': 'hopDurationMs', 'hop-penalty-ms': 'hopPenaltyMs',
    'finish-line': 'finishLine', 'countdown-ms': 'countdownMs', 'reconnect-grace-ms': 'reconnectGraceMs',
  };
  for (const arg of args || []) {
    const m = /^--([a-z-]+)=(.+)$/.exec(arg);
    if (!m || !names[m[1]] || !(Number(m[2]) >= 0)) {
      logger.error('unknown or bad argument ' + arg);
      return false;
    }
    rules[names[m[1]]] = Number(m[2]);
  }
  if (!(rules.hopDistance > 0 && rules.hopDistance <= rules.finishLine && rules.hopDurationMs > 0)) {
    logger.error('rules cannot make a race: ' + JSON.stringify(rules));
    return false;
  }
  return true;
}

function onStartGameSession(gameSession) {
  logger.info('race ' + gameSession.gameSessionId + ' waiting for ' + rules.players + ' players');
}

// onPlayerConnect gives a new player the first free lane while the race waits.
function onPlayerConnect(connectMsg) {
  if (phase !== PHASE.WAITING || frogs.length >= rules.players) {
    return false;
  }
  frogs.push({
    lane: frogs.length, playerId: connectMsg.playerSessionId, peerId: connectMsg.peerId, ready: false,
    hops: 0, hopping: false, hopStartMs: 0, hopEndMs: 0, penaltyMs: 0, penalties: 0, connected: true, finishedAtMs: 0,
  });
  return true;
}

// onPlayerAccepted tells the player its lane and the whole race; on a
// reconnect it also ends the player's grace.
function onPlayerAccepted(player) {
  const lane = laneOfPeer(player.peerId);
  if (lane < 0) return;
  const f = frogs[lane];
  f.connected = true;
  sendTo(player.peerId, OP.ASSIGN_PLAYER, msg.assignPlayer(lane, f.playerId, f.peerId, rules));
  sendTo(player.peerId, OP.SNAPSHOT, snapshot());
  if (grace[lane] !== undefined) {
    clearTimeout(grace[lane]);
    grace[lane] = undefined;
    broadcast(OP.PLAYER_STATUS, msg.playerStatus(lane, f.playerId, STATUS.CONNECTED, 0, Date.now()));
  }
}

// onPlayerDisconnect gives a racer who dropped the reconnect grace; after
// it, the other frog wins by forfeit.
function onPlayerDisconnect(peerId) {
  const lane = laneOfPeer(peerId);
  if (lane < 0) return;
  const f = frogs[lane];
  f.connected = false;
  if (phase !== PHASE.COUNTDOWN && phase !== PHASE.RACING) return;
  const ends = Date.now() + rules.reconnectGraceMs;
  broadcast(OP.PLAYER_STATUS, msg.playerStatus(lane, f.playerId, STATUS.RECONNECTING, ends, Date.now()));
  grace[lane] = setTimeout(function () {
    grace[lane] = undefined;
    if (f.connected || phase === PHASE.FINISHED) return;
    broadcast(OP.PLAYER_STATUS, msg.playerStatus(lane, f.playerId, STATUS.FORFEITED, 0, Date.now()));
    const winner = frogs.find(function (o) { return o.lane !== lane; });
    finish(winner ? winner.lane : -1, REASON.FORFEIT, false);
  }, rules.reconnectGraceMs);
}

function onMessage(gameMessage) {
  const lane = laneOfPeer(gameMessage.sender);
  if (lane < 0) return;
  switch (gameMessage.opCode) {
  case OP.SCENE_READY:
    sceneReady(lane);
    break;
  case OP.HOP:
    hop(lane);
    break;
  default:
    logger.warn('unknown op code ' + gameMessage.opCode + ' from peer ' + gameMessage.sender);
  }
}

function sceneReady(lane) {
  if (phase !== PHASE.WAITING) return;
  frogs[lane].ready = true;
  if (frogs.length < rules.players || !frogs.every(function (f) { return f.ready; })) return;
  phase = PHASE.COUNTDOWN;
  startAt = Date.now() + rules.countdownMs;
  broadcast(OP.COUNTDOWN, msg.countdown(startAt, Date.now()));
  logger.info('countdown: the race starts at ' + new Date(startAt).toISOString());
}

function hop(lane) {
  const now = Date.now();
  if (phase === PHASE.COUNTDOWN && now >= startAt) phase = PHASE.RACING;
  const f = frogs[lane];
  if (phase !== PHASE.RACING || f.finishedAtMs) return;
  if (f.hopping && now >= f.hopEndMs) {
    land(lane); // over by the clock though its timer has not fired yet
    if (phase !== PHASE.RACING || f.finishedAtMs) return;
  }
  if (f.hopping) {
    f.hopEndMs += rules.hopPenaltyMs;
    f.penaltyMs += rules.hopPenaltyMs;
    f.penalties++;
    scheduleLanding(lane);
    moved(lane, CAUSE.PENALTY);
    return;
  }
  f.hops++;
  f.hopping = true;
  f.hopStartMs = now;
  f.hopEndMs = now + rules.hopDurationMs;
  f.penaltyMs = 0;
  scheduleLanding(lane);
  moved(lane, CAUSE.HOP);
}

function scheduleLanding(lane) {
  clearTimeout(landing[lane]);
  landing[lane] = setTimeout(function () { land(lane); }, frogs[lane].hopEndMs - Date.now());
}

function land(lane) {
  const f = frogs[lane];
  if (!f.hopping) return;
  clearTimeout(landing[lane]);
  f.hopping = false;
  if (f.hops >= hopsToFinish()) {
    f.finishedAtMs = f.hopEndMs;
    // Decide once every frog due now has landed: frogs landing on the same
    // tick are ranked by exact landing time, then fewer penalties, then lane.
    setTimeout(decide, 0);
  }
  moved(lane, CAUSE.LANDED);
}

function decide() {
  if (phase === PHASE.FINISHED) return;
  const done = frogs.filter(function (f) { return f.finishedAtMs; });
  if (done.length === 0) return;
  done.sort(function (a, b) {
    return (a.finishedAtMs - b.finishedAtMs) || (a.penalties - b.penalties) || (a.lane - b.lane);
  });
  finish(done[0].lane, REASON.FINISH, done.length > 1 && done[1].finishedAtMs === done[0].finishedAtMs);
}

// finish announces the result and ends the game session.
function finish(winner, reason, tieBreak) {
  phase = PHASE.FINISHED;
  frogs.forEach(function (f) { clearTimeout(landing[f.lane]); clearTimeout(grace[f.lane]); });
  result = {
    winnerLane: winner, winnerPlayerId: winner >= 0 ? frogs[winner].playerId : '', reason: reason,
    finishTimesMs: frogs.map(function (f) { return f.finishedAtMs ? f.finishedAtMs - startAt : 0; }),
    tieBreak: tieBreak, serverTimeMs: Date.now(),
  };
  broadcast(OP.RACE_RESULT, msg.raceResult(result));
  logger.info('race decided: lane ' + winner + ' wins (reason ' + reason + ')');
  session.processEnding().then(function () {
    logger.info('race session over');
  });
}

exports.ssExports = {
  configuration: { maxPlayers: 2, pingIntervalTime: 30000 },
  init: init,
  onProcessStarted: onProcessStarted,
  onStartGameSession: onStartGameSession,
  onPlayerConnect: onPlayerConnect,
  onPlayerAccepted: onPlayerAccepted,
  onPlayerDisconnect: onPlayerDisconnect,
  onMessage: onMessage,
};
