// Unit tests of the page's logic that needs no browser: the race model, the clock and Retry-After.
// build.sh bundles this file for Node and runs it with `node --test`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import {
  CountdownSchema,
  FrogMovedSchema,
  FrogMoved_Cause,
  OpCode,
  Phase,
  PlayerStatusSchema,
  PlayerStatus_Status,
  RaceResultSchema,
  RaceResult_Reason,
  RaceSnapshotSchema,
} from "../src/gen/leapfrog/race/v1/race_pb";
import { RaceModel } from "../src/race";
import { ServerClock } from "../src/clock";
import { parseRetryAfter } from "../src/api";

function bin<D extends DescMessage>(schema: D, init: MessageInitShape<D>): Uint8Array {
  return toBinary(schema, create(schema, init));
}

const t0 = 1_700_000_000_000;

function hop(lane: number, from: number, to: number, start: number, end: number, extra: Record<string, unknown> = {}) {
  return bin(FrogMovedSchema, {
    frog: {
      lane,
      playerId: `p${lane}`,
      from,
      to,
      hopStartMs: BigInt(start),
      hopEndMs: BigInt(end),
      hops: 1,
      hopping: true,
      connected: true,
      ...extra,
    },
    serverTimeMs: BigInt(start),
    cause: FrogMoved_Cause.HOP,
  });
}

test("a countdown turns into the race at its start time", () => {
  const m = new RaceModel();
  m.apply(OpCode.COUNTDOWN, bin(CountdownSchema, { startAtMs: BigInt(t0), serverTimeMs: BigInt(t0 - 3000) }));
  assert.equal(m.phaseAt(t0 - 1), "countdown");
  assert.equal(m.phaseAt(t0), "racing");
});

test("a hop is interpolated between its timestamps and never moves back", () => {
  const m = new RaceModel();
  m.apply(OpCode.FROG_MOVED, hop(0, 0, 0.2, t0, t0 + 4000));
  assert.equal(m.position(0, t0 - 10), 0);
  const mid = m.position(0, t0 + 2000);
  assert.ok(Math.abs(mid - 0.1) < 1e-9, `mid-hop position ${mid}`);
  // A penalty pushes the end later: the frog holds where it was drawn rather than jump back.
  m.apply(OpCode.FROG_MOVED, hop(0, 0, 0.2, t0, t0 + 4300, { penaltyMs: BigInt(300), penalties: 3 }));
  assert.ok(m.position(0, t0 + 2000) >= mid);
  assert.ok(m.annoyed(0, t0 + 100), "a new penalty annoys the frog");
  assert.equal(m.position(0, t0 + 5000), 0.2);
});

test("a repeated broadcast does not annoy the frog twice", () => {
  const m = new RaceModel();
  const pen = hop(1, 0, 0.2, t0, t0 + 4100, { penaltyMs: BigInt(100), penalties: 1 });
  m.apply(OpCode.FROG_MOVED, pen);
  const first = m.frogs[1].lastPenaltyMs;
  m.apply(OpCode.FROG_MOVED, pen);
  assert.equal(m.frogs[1].lastPenaltyMs, first);
});

test("frogs in the air stop where they were when the race ended", () => {
  const m = new RaceModel();
  m.apply(OpCode.FROG_MOVED, hop(1, 0.8, 1, t0, t0 + 4000));
  m.apply(
    OpCode.RACE_RESULT,
    bin(RaceResultSchema, {
      winnerLane: 0,
      reason: RaceResult_Reason.FINISH,
      finishTimesMs: [BigInt(20000), BigInt(0)],
      serverTimeMs: BigInt(t0 + 2000),
    }),
  );
  assert.equal(m.phase, "finished");
  assert.ok(Math.abs(m.position(1, t0 + 10_000) - 0.9) < 1e-9);
});

test("a snapshot marks a missing opponent as reconnecting only once the race is on", () => {
  const waiting = new RaceModel();
  waiting.apply(
    OpCode.RACE_SNAPSHOT,
    bin(RaceSnapshotSchema, { phase: Phase.WAITING, frogs: [{ lane: 0, playerId: "a", connected: true }, { lane: 1 }] }),
  );
  assert.equal(waiting.laneInfo[1].status, "connected");

  const racing = new RaceModel();
  racing.apply(
    OpCode.RACE_SNAPSHOT,
    bin(RaceSnapshotSchema, {
      phase: Phase.RACING,
      frogs: [
        { lane: 0, playerId: "a", connected: true },
        { lane: 1, playerId: "b", connected: false },
      ],
    }),
  );
  assert.equal(racing.laneInfo[1].status, "reconnecting");
});

test("player status carries the grace end", () => {
  const m = new RaceModel();
  m.apply(
    OpCode.PLAYER_STATUS,
    bin(PlayerStatusSchema, { lane: 1, status: PlayerStatus_Status.RECONNECTING, graceEndsMs: BigInt(t0 + 10_000) }),
  );
  assert.deepEqual(m.laneInfo[1], { status: "reconnecting", graceEndsMs: t0 + 10_000 });
  assert.equal(m.frogs[1].connected, false);
});

test("the clock trusts the pong with the shortest round trip", () => {
  const c = new ServerClock();
  c.hint(5000, 1000);
  assert.equal(c.offsetMs, 4000);
  c.pong(1000, 6100, 1200); // rtt 200: offset 6100 - 1100 = 5000
  c.pong(2000, 7020, 2040); // rtt 40: offset 7020 - 2020 = 5000
  c.pong(3000, 9000, 3400); // rtt 400: offset 5800, but a slow sample
  assert.equal(c.rttMs, 40);
  assert.equal(c.offsetMs, 5000);
});

test("Retry-After is read as seconds or a date", () => {
  assert.equal(parseRetryAfter("3"), 3);
  assert.equal(parseRetryAfter(null), null);
  assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")), 10);
});
