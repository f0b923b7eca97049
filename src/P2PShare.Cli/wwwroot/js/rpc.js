// Transmission RPC client: POST JSON to /transmission/rpc, answering the 409 handshake with the
// X-Transmission-Session-Id header the server hands out (and again whenever the server renews it).

const ENDPOINT = '/transmission/rpc';
const SESSION_HEADER = 'X-Transmission-Session-Id';

export class RpcError extends Error {
  constructor(message, method) {
    super(message);
    this.name = 'RpcError';
    this.method = method;
  }
}

export class TransmissionRpc {
  #sessionId = null;
  #tag = 0;

  /** Calls one method; resolves with its `arguments`, rejects with an RpcError whose message is the server's result. */
  async call(method, args = {}) {
    const tag = ++this.#tag;
    const body = JSON.stringify({ method, arguments: args, tag });
    for (let attempt = 0; attempt < 2; attempt++) {
      const headers = { 'Content-Type': 'application/json' };
      if (this.#sessionId) headers[SESSION_HEADER] = this.#sessionId;
      let response;
      try {
        response = await fetch(ENDPOINT, { method: 'POST', headers, body, credentials: 'same-origin' });
      } catch (error) {
        throw new RpcError(`cannot reach the daemon (${error.message})`, method);
      }
      if (response.status === 409) {
        this.#sessionId = response.headers.get(SESSION_HEADER);
        if (!this.#sessionId) throw new RpcError('the server refused the request without a session id', method);
        continue;
      }
      if (!response.ok) throw new RpcError(`HTTP ${response.status} ${response.statusText}`, method);
      const reply = await response.json();
      if (reply.result !== 'success') throw new RpcError(reply.result || 'unknown error', method);
      return reply.arguments ?? {};
    }
    throw new RpcError('the session id handshake did not settle', method);
  }

  getTorrents(fields, ids) {
    const args = { fields };
    if (ids !== undefined) args.ids = ids;
    return this.call('torrent-get', args).then(a => a.torrents ?? []);
  }

  /** Adds a .torrent (base64 of its bytes) or a magnet link; resolves with {id, name, hashString, duplicate}. */
  async addTorrent({ metainfo, magnet, paused = false, downloadDir }) {
    const args = { paused };
    if (metainfo) args.metainfo = metainfo;
    else args.filename = magnet;
    if (downloadDir) args['download-dir'] = downloadDir;
    const reply = await this.call('torrent-add', args);
    if (reply['torrent-added']) return { ...reply['torrent-added'], duplicate: false };
    if (reply['torrent-duplicate']) return { ...reply['torrent-duplicate'], duplicate: true };
    throw new RpcError('the reply named no torrent', 'torrent-add');
  }

  start(ids) { return this.call('torrent-start', { ids }); }
  stop(ids) { return this.call('torrent-stop', { ids }); }
  remove(ids, deleteData) { return this.call('torrent-remove', { ids, 'delete-local-data': deleteData }); }
  set(ids, settings) { return this.call('torrent-set', { ids, ...settings }); }
  session() { return this.call('session-get'); }
}
