'use strict';

// Roster keeps what each player signed in with, by peer id.
class Roster {
  #byPeer = new Map();

  hold(peerId, info) {
    this.#byPeer.set(peerId, { ...info, since: Date.now() });
  }

  get(peerId) {
    return this.#byPeer.get(peerId);
  }

  drop(peerId) {
    this.#byPeer.delete(peerId);
  }

  peersExcept(peerId) {
    return [...this.#byPeer.keys()].filter((id) => id !== peerId);
  }

  get size() {
    return this.#byPeer.size;
  }
}

module.exports = { Roster };
