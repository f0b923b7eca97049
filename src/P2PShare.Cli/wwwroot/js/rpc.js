// Transmission RPC client: POST JSON to /transmission/rpc with the X-Transmission-Session-Id header. The page asks
// the daemon for the id first (GET /api/session-id, same origin only), so a normal start makes no 409 request, which
// the browser would log as an error; the 409 handshake still works when the id is unknown or renewed.

const ENDPOINT = '/transmission/rpc';
const SESSION_ENDPOINT = '/api/session-id';
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
  #sessionLookup = null;
  #tag = 0;

  /** Calls one method; resolves with its `arguments`, rejects with an RpcError whose message is the server's result. */
  async call(method, args = {}) {
    await (this.#sessionLookup ??= this.#lookUpSessionId());
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

  async #lookUpSessionId() {
    try {
      const response = await fetch(SESSION_ENDPOINT, { credentials: 'same-origin', cache: 'no-store' });
      if (response.ok) this.#sessionId ??= (await response.json()).sessionId ?? null;
    } catch {
      // The handshake below copes without it.
    }
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
