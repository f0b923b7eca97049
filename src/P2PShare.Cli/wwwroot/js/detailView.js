// The detail view of one torrent: facts, its own rate graph, and tabs for peers, files, trackers and the piece map.
// Only the open torrent is fetched (every two seconds); its rates come from the event stream like the list's.

import * as fmt from './format.js';
import { drawPieceMap } from './pieceMap.js';
import { RateGraph } from './rateGraph.js';

export const DETAIL_FIELDS = [
  'id', 'name', 'hashString', 'downloadDir', 'totalSize', 'sizeWhenDone', 'leftUntilDone', 'percentDone', 'status',
  'uploadRatio', 'uploadedEver', 'downloadedEver', 'pieceCount', 'pieceSize', 'pieces', 'peers', 'files', 'fileStats',
  'trackerStats', 'error', 'errorString', 'magnetLink', 'peersConnected', 'diagnosis',
];

const REFRESH_MS = 2000;

export class DetailView {
  #timer = null;
  #fileRowsFor = null; // the torrent id and file count the file rows were built for
  #fileRows = [];
  #last = null;

  constructor(rpc, { onError, onClosed }) {
    this.rpc = rpc;
    this.onError = onError;
    this.onClosed = onClosed;
    this.id = null;
    this.section = document.getElementById('detail');
    this.title = document.getElementById('detail-title');
    this.facts = document.getElementById('detail-facts');
    this.graph = new RateGraph(document.getElementById('torrent-graph'));
    this.tabs = [...this.section.querySelectorAll('[role="tab"]')];
    for (const tab of this.tabs) {
      tab.addEventListener('click', () => this.#selectTab(tab));
      tab.addEventListener('keydown', event => this.#tabKey(event, tab));
    }
    document.getElementById('detail-close').addEventListener('click', () => this.close());
    document.getElementById('file-rows').addEventListener('change', event => this.#fileChanged(event));
    new ResizeObserver(() => this.#drawPieces()).observe(document.getElementById('piece-map'));
  }

  get isOpen() { return this.id !== null; }

  /** Opens the view for a torrent, with the rate history kept so far. */
  open(id, history) {
    this.id = id;
    this.#last = null;
    this.#fileRowsFor = null;
    this.section.hidden = false;
    this.graph.clear();
    for (const [down, up] of history ?? []) this.graph.push(down, up);
    this.refresh();
    clearInterval(this.#timer);
    this.#timer = setInterval(() => this.refresh(), REFRESH_MS);
    this.section.focus();
  }

  close() {
    const id = this.id;
    clearInterval(this.#timer);
    this.#timer = null;
    this.id = null;
    this.section.hidden = true;
    this.onClosed(id);
  }

  /** A torrent's live numbers from the event stream: its graph, and the facts that change every second. */
  liveUpdate(snapshot) {
    if (snapshot.id !== this.id) return;
    this.graph.push(snapshot.rateDownload, snapshot.rateUpload);
    if (!this.#last) return;
    Object.assign(this.#last, { percentDone: snapshot.percentDone, status: snapshot.status });
    this.#renderFacts(this.#last);
  }

  async refresh() {
    const id = this.id;
    if (id === null) return;
    let torrents;
    try {
      torrents = await this.rpc.getTorrents(DETAIL_FIELDS, [id]);
    } catch (error) {
      this.onError(error);
      return;
    }
    if (id !== this.id) return; // closed or switched meanwhile
    const t = torrents[0];
    if (!t) { this.close(); return; }
    this.#last = t;
    this.#render(t);
  }

  #render(t) {
    this.#renderFacts(t);
    this.#renderPeers(t.peers ?? []);
    this.#renderFiles(t);
    this.#renderTrackers(t.trackerStats ?? []);
    this.#drawPieces();
  }

  #renderFacts(t) {
    this.title.textContent = t.name || t.hashString;
    const facts = [
      ['State', fmt.status(t.status, t)],
      ['Size', fmt.bytes(t.sizeWhenDone ?? t.totalSize)],
      ['Done', fmt.percent(t.percentDone)],
      ['Downloaded', fmt.bytes(t.downloadedEver)],
      ['Uploaded', fmt.bytes(t.uploadedEver)],
      ['Ratio', fmt.ratio(t.uploadRatio)],
      ['Pieces', t.pieceCount ? `${t.pieceCount} × ${fmt.bytes(t.pieceSize)}` : '–'],
      ['Folder', t.downloadDir ?? '–'],
      ['Info-hash', t.hashString ?? '–'],
    ];
    if (t.errorString) facts.push(['Error', t.errorString]);
    // The engine's own account of why the torrent is slow or stuck (or that it is fine), most severe first.
    for (const finding of t.diagnosis ?? []) facts.push([finding.severity === 'info' ? 'Status' : 'Why', finding.message]);
    this.facts.replaceChildren(...facts.map(([term, value]) => {
      const div = document.createElement('div');
      const dt = document.createElement('dt');
      const dd = document.createElement('dd');
      dt.textContent = term;
      dd.textContent = value;
      div.append(dt, dd);
      return div;
    }));
  }

  #renderPeers(peers) {
    const rows = peers.map(p => rowOf([
      `${p.address}${p.port ? `:${p.port}` : ''}`,
      p.clientName || '–',
      p.flagStr || '',
      fmt.rate(p.rateToClient),
      fmt.rate(p.rateToPeer),
      fmt.percent(p.progress),
      [p.peerSource ?? p.source, p.isUTP ? 'uTP' : 'TCP', p.isEncrypted ? 'encrypted' : null].filter(Boolean).join(', '),
    ]));
    document.getElementById('peer-rows').replaceChildren(...rows);
    document.getElementById('no-peers').hidden = peers.length > 0;
  }

  #renderFiles(t) {
    const files = t.files ?? [];
    const stats = t.fileStats ?? [];
    const tbody = document.getElementById('file-rows');
    document.getElementById('no-files').hidden = files.length > 0;
    const key = `${t.id}:${files.length}`;
    if (this.#fileRowsFor !== key) {
      this.#fileRowsFor = key;
      this.#fileRows = files.map((f, i) => this.#createFileRow(f, i));
      tbody.replaceChildren(...this.#fileRows.map(r => r.tr));
    }
    files.forEach((f, i) => {
      const row = this.#fileRows[i];
      const stat = stats[i] ?? {};
      const wanted = stat.wanted ?? t.wanted?.[i] ?? true;
      const priority = String(stat.priority ?? t.priorities?.[i] ?? 0);
      // Leave a control alone while the user is on it.
      if (document.activeElement !== row.wanted) row.wanted.checked = !!wanted;
      if (document.activeElement !== row.priority) row.priority.value = priority;
      row.done.textContent = f.length > 0 ? fmt.percent((f.bytesCompleted ?? stat.bytesCompleted ?? 0) / f.length) : '100%';
    });
  }

  #createFileRow(file, index) {
    const tr = document.createElement('tr');
    const nameCell = document.createElement('td');
    const wrap = document.createElement('div');
    wrap.className = 'wanted';
    const wanted = document.createElement('input');
    wanted.type = 'checkbox';
    wanted.id = `file-wanted-${index}`;
    wanted.dataset.index = String(index);
    wanted.dataset.kind = 'wanted';
    const label = document.createElement('label');
    label.htmlFor = wanted.id;
    label.textContent = file.name;
    wrap.append(wanted, label);
    nameCell.append(wrap);
    const size = document.createElement('td');
    size.textContent = fmt.bytes(file.length);
    const done = document.createElement('td');
    const priorityCell = document.createElement('td');
    const priority = document.createElement('select');
    priority.dataset.index = String(index);
    priority.dataset.kind = 'priority';
    priority.setAttribute('aria-label', `Priority of ${file.name}`);
    for (const value of ['1', '0', '-1']) priority.append(new Option(fmt.PRIORITY[value], value));
    priorityCell.append(priority);
    tr.append(nameCell, size, done, priorityCell);
    return { tr, wanted, priority, done };
  }

  async #fileChanged(event) {
    const control = event.target;
    const index = Number(control.dataset.index);
    let settings;
    if (control.dataset.kind === 'wanted')
      settings = control.checked ? { 'files-wanted': [index] } : { 'files-unwanted': [index] };
    else
      settings = { [{ '1': 'priority-high', '0': 'priority-normal', '-1': 'priority-low' }[control.value]]: [index] };
    try {
      await this.rpc.set([this.id], settings);
    } catch (error) {
      this.onError(error);
    }
    this.refresh();
  }

  #renderTrackers(trackers) {
    const rows = trackers.map(tr => rowOf([
      tr.announce ?? tr.host ?? '–',
      String(tr.tier ?? 0),
      tr.lastAnnounceTime > 0 ? `${tr.lastAnnounceSucceeded ? 'ok' : 'failed'}${tr.lastAnnounceResult ? `: ${tr.lastAnnounceResult}` : ''}` : (tr.lastAnnounceResult || 'not yet'),
      count(tr.seederCount),
      count(tr.leecherCount),
      tr.nextAnnounceTime > 0 ? fmt.eta(tr.nextAnnounceTime - Date.now() / 1000) : '–',
    ]));
    document.getElementById('tracker-rows').replaceChildren(...rows);
    document.getElementById('no-trackers').hidden = trackers.length > 0;
  }

  #drawPieces() {
    const t = this.#last;
    const canvas = document.getElementById('piece-map');
    const caption = document.getElementById('piece-caption');
    if (!t || !t.pieceCount || canvas.closest('[hidden]')) {
      if (t && !t.pieceCount) caption.textContent = 'The piece map comes with the metadata.';
      return;
    }
    const { had } = drawPieceMap(canvas, t.pieces, t.pieceCount);
    caption.textContent = `${had} of ${t.pieceCount} pieces (${fmt.bytes(t.pieceSize)} each)`;
    canvas.setAttribute('aria-label', `Piece map: ${had} of ${t.pieceCount} pieces`);
  }

  #selectTab(tab) {
    for (const other of this.tabs) {
      const selected = other === tab;
      other.setAttribute('aria-selected', String(selected));
      other.tabIndex = selected ? 0 : -1;
      document.getElementById(other.getAttribute('aria-controls')).hidden = !selected;
    }
    if (tab.id === 'tab-pieces') this.#drawPieces();
  }

  #tabKey(event, tab) {
    const i = this.tabs.indexOf(tab);
    const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: this.tabs.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const target = this.tabs[(next + this.tabs.length) % this.tabs.length];
    target.focus();
    this.#selectTab(target);
  }
}

function rowOf(values) {
  const tr = document.createElement('tr');
  for (const v of values) {
    const td = document.createElement('td');
    td.textContent = v;
    tr.append(td);
  }
  return tr;
}

function count(n) {
  return Number.isFinite(n) && n >= 0 ? String(n) : '–';
}
