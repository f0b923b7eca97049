// The daemon's server-sent events (/api/events): once a second the session's rates and, for each torrent,
// its id, rates, percentDone and status. EventSource reconnects by itself; we report the connection state.

const ENDPOINT = '/api/events';

/** Reads one event's JSON into {downloadRate, uploadRate, torrents: [{id, rateDownload, rateUpload, percentDone, status, eta?}]}. */
export function normalizeSnapshot(data) {
  const session = data.session ?? data;
  const pick = (o, ...names) => { for (const n of names) if (typeof o?.[n] === 'number') return o[n]; return 0; };
  return {
    downloadRate: pick(session, 'downloadSpeed', 'downloadRate', 'rateDownload', 'down'),
    uploadRate: pick(session, 'uploadSpeed', 'uploadRate', 'rateUpload', 'up'),
    torrents: (data.torrents ?? []).map(t => ({
      id: t.id,
      rateDownload: pick(t, 'rateDownload', 'downloadRate', 'down'),
      rateUpload: pick(t, 'rateUpload', 'uploadRate', 'up'),
      percentDone: pick(t, 'percentDone', 'progress'),
      status: pick(t, 'status'),
      eta: typeof t.eta === 'number' ? t.eta : undefined,
    })),
  };
}

export class LiveEvents {
  #source = null;

  /**
   * @param {(snapshot) => void} onSnapshot called for each event
   * @param {(connected: boolean) => void} onConnection called when the stream opens or drops
   */
  constructor(onSnapshot, onConnection) {
    this.onSnapshot = onSnapshot;
    this.onConnection = onConnection;
  }

  start() {
    if (this.#source || typeof EventSource === 'undefined') return;
    const source = new EventSource(ENDPOINT);
    source.onopen = () => this.onConnection(true);
    source.onerror = () => this.onConnection(false);
    const handle = event => {
      let data;
      try { data = JSON.parse(event.data); } catch { return; } // a malformed event is skipped, not fatal
      this.onSnapshot(normalizeSnapshot(data));
    };
    source.onmessage = handle;
    // Named events too, whichever name the server gives them.
    for (const name of ['stats', 'snapshot', 'update', 'tick']) source.addEventListener(name, handle);
    this.#source = source;
  }

  stop() {
    this.#source?.close();
    this.#source = null;
  }
}
