// A chat lobby written for Node.js 24: classes, async endings, optional
// chaining and ??, and a sign-in of its own carried in the client's
// ConnectionToken payload (JSON), checked in onPlayerConnect. Saved with a
// UTF-8 byte order mark, as Windows editors write files.
'use strict';

const { Roster } = require('./lib/roster');

const OP_SAY = 1;         // client -> server: text to everyone
const OP_BYE = 9;         // client -> server: end the lobby
const OP_WELCOME = 100;   // server -> client: JSON {name, peerId, others}
const OP_SAID = 101;      // server -> client: "name: text"
const OP_JOINED = 102;    // server -> client: name of a new player

const ROOM_KEY = 'frogs-only';

let session;
let logger;
const roster = new Roster();

function textTo(peerIds, opCode, text) {
  const msg = session.newTextGameMessage(opCode, session.getServerId(), text);
  for (const id of peerIds) session.sendReliableMessage(msg, id);
}

async function closeLobby(reason) {
  logger.info({ event: 'closing', reason, players: roster.size });
  const ended = await session.processEnding();
  logger.info(`processEnding resolved ${ended}`);
  process.exit(0);
}

function init(rtSession) {
  session = rtSession;
  logger = session.getLogger();
}

function onPlayerConnect(connectMsg) {
  let signIn;
  try {
    signIn = JSON.parse(new Buffer.from(connectMsg.payload ?? '').toString('utf8') || '{}');
  } catch (err) {
    logger.warn(`bad sign-in payload from ${connectMsg.player?.peerId}: ${err.message}`);
    return false;
  }
  const { name, key, team = 'none' } = signIn;
  if (key !== ROOM_KEY || typeof name !== 'string' || name.length === 0) {
    logger.info({ event: 'refused', peerId: connectMsg.player?.peerId, name: name ?? null });
    return false;
  }
  roster.hold(connectMsg.player.peerId, { name, team, session: connectMsg.player.playerSessionId });
  return true;
}

function onPlayerAccepted(player) {
  const me = roster.get(player.peerId);
  const others = [];
  session.getPlayers().forEach((other, peerId) => {
    if (peerId !== player.peerId) others.push(roster.get(peerId)?.name ?? `peer ${other.peerId}`);
  });
  textTo([player.peerId], OP_WELCOME, JSON.stringify({ name: me.name, peerId: player.peerId, others }));
  textTo(roster.peersExcept(player.peerId), OP_JOINED, me.name);
  logger.info({ event: 'joined', peerId: player.peerId, name: me.name, team: me.team });
}

function onPlayerDisconnect(peerId) {
  roster.drop(peerId);
}

async function onMessage(gameMessage) {
  const who = roster.get(gameMessage.sender);
  if (!who) return;
  switch (gameMessage.opCode) {
    case OP_SAY: {
      const text = gameMessage.getPayloadAsText().trim();
      await Promise.resolve(); // as scripts that await a store before answering
      const line = `${who.name}: ${text}`;
      const msg = session.newTextGameMessage(OP_SAID, session.getServerId(), line);
      session.sendReliableGroupMessage(msg, session.getAllPlayersGroupId());
      break;
    }
    case OP_BYE:
      await closeLobby(`${who.name} closed the lobby`);
      break;
    default:
      logger.warn(`unknown op code ${gameMessage.opCode} from ${who.name}`);
  }
}

// Players may talk to each other directly, but not to themselves.
function onSendToPlayer(gameMessage) {
  return gameMessage.sender !== gameMessage.targetPlayer;
}

exports.ssExports = {
  configuration: { maxPlayers: 3, pingIntervalTime: 3000 },
  init,
  onPlayerConnect,
  onPlayerAccepted,
  onPlayerDisconnect,
  onMessage,
  onSendToPlayer,
};
