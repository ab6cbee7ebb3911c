// Prints what each callback receives, for TestCallbackObjectShapes.
const util = require('util');
let session;
exports.ssExports = {
  init(rtSession) {
    session = rtSession;
    console.log('rtSession: ' + Object.keys(rtSession).sort().map((k) => k + ':' + typeof rtSession[k]).join(' '));
  },
  onStartGameSession(gameSession) {
    console.log('session: ' + util.inspect(gameSession, { breakLength: Infinity }).replace(/\n\s*/g, ' '));
  },
  onPlayerConnect(connectMsg) {
    console.log('connect:', connectMsg);
    return true;
  },
  onPlayerAccepted(player) {
    console.log('player:', player);
    console.log('players:', session.getPlayers());
    session.getPlayers().forEach((p, peerId) => console.log('forEach:', typeof peerId, peerId, p.playerSessionId));
  },
  onMessage(gameMessage) {
    console.log('message keys: ' + Object.keys(gameMessage).join(','));
    console.log('message JSON: ' + JSON.stringify(gameMessage));
    console.log('message:', gameMessage);
    console.log('text: ' + gameMessage.getPayloadAsText());
  },
};
