// Mega Frog Race messages (leapfrog.race.v1 in race.proto) encoded with the
// small writer: the payloads the Leapfrog clients decode.
'use strict';

const Writer = require('./protobuf').Writer;

function rules(r) {
  return new Writer()
    .double(1, r.hopDistance).int(2, r.hopDurationMs).int(3, r.hopPenaltyMs)
    .double(4, r.finishLine).int(5, r.players).int(6, r.countdownMs).int(7, r.reconnectGraceMs);
}

function frog(f) {
  return new Writer()
    .int(1, f.lane).string(2, f.playerId).double(3, f.from).double(4, f.to)
    .int(5, f.hopStartMs).int(6, f.hopEndMs).int(7, f.penaltyMs).int(8, f.hops).int(9, f.penalties)
    .int(10, f.hopping).int(11, f.connected).int(12, f.finishedAtMs);
}

function result(r) {
  return new Writer()
    .int(1, r.winnerLane).string(2, r.winnerPlayerId).int(3, r.reason)
    .packed(4, r.finishTimesMs).int(5, r.tieBreak).int(6, r.serverTimeMs);
}

module.exports = {
  assignPlayer: function (lane, playerId, peerId, r) {
    return new Writer().int(1, lane).string(2, playerId).int(3, peerId).message(4, rules(r)).finish();
  },
  countdown: function (startAtMs, now) {
    return new Writer().int(1, startAtMs).int(2, now).finish();
  },
  frogMoved: function (f, now, cause) {
    return new Writer().message(1, frog(f)).int(2, now).int(3, cause).finish();
  },
  raceResult: function (r) {
    return result(r).finish();
  },
  snapshot: function (phase, frogs, startAtMs, now, res) {
    const w = new Writer().int(1, phase);
    frogs.forEach(function (f) { w.message(2, frog(f)); });
    w.int(3, startAtMs).int(4, now);
    if (res) w.message(5, result(res));
    return w.finish();
  },
  playerStatus: function (lane, playerId, status, graceEndsMs, now) {
    return new Writer().int(1, lane).string(2, playerId).int(3, status).int(4, graceEndsMs).int(5, now).finish();
  },
};
