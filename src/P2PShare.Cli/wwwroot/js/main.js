// Wires the page: the torrent list from torrent-get, live numbers from /api/events, actions through the RPC.

import { TransmissionRpc } from './rpc.js';
import { LiveEvents } from './events.js';
import { TorrentList } from './torrentList.js';
import { DetailView } from './detailView.js';
import { RateGraph } from './rateGraph.js';
import { AddDialog, RemoveDialog } from './dialogs.js';
import * as fmt from './format.js';

const LIST_FIELDS = [
  'id', 'name', 'hashString', 'status', 'percentDone', 'rateDownload', 'rateUpload', 'eta', 'uploadRatio',
  'sizeWhenDone', 'leftUntilDone', 'error', 'errorString', 'addedDate',
];
const SLOW_REFRESH_MS = 15000;   // ratio and other slow fields, one call for all torrents
const OFFLINE_REFRESH_MS = 3000; // while the event stream is down
const HISTORY = 120;             // samples of each torrent's rates kept for its graph

const rpc = new TransmissionRpc();
const torrents = new Map();      // id -> the torrent's fields, merged from torrent-get and the events
const history = new Map();       // id -> [[down, up], ...]
const sessionGraph = new RateGraph(document.getElementById('session-graph'), HISTORY);
let live = false;
let refreshing = null;
let refreshAgain = false;
let toastTimer = null;

const list = new TorrentList(document.getElementById('torrent-rows'), {
  onDetails: id => openDetails(id),
  onToggle: id => toggle(id),
  onRemove: id => remove(id),
});
const details = new DetailView(rpc, { onError: showError, onClosed: id => { list.select(null); if (id !== null) list.focusDetailsButton(id); } });
const addDialog = new AddDialog(add);
const removeDialog = new RemoveDialog();

function render() {
  const ordered = [...torrents.values()].sort((a, b) => (a.addedDate ?? 0) - (b.addedDate ?? 0) || a.id - b.id);
  list.render(ordered);
  document.getElementById('empty-list').hidden = ordered.length > 0;
  document.getElementById('torrent-count').textContent = ordered.length ? `(${ordered.length})` : '';
}

/** One torrent-get for the whole list; calls that overlap are folded into one more. */
function refreshList() {
  if (refreshing) { refreshAgain = true; return refreshing; }
  refreshing = (async () => {
    try {
      const fresh = await rpc.getTorrents(LIST_FIELDS);
      const ids = new Set(fresh.map(t => t.id));
      for (const id of [...torrents.keys()]) if (!ids.has(id)) { torrents.delete(id); history.delete(id); }
      for (const t of fresh) torrents.set(t.id, { ...torrents.get(t.id), ...t });
      render();
      if (details.isOpen && !ids.has(details.id)) details.close();
    } catch (error) {
      showError(error);
    } finally {
      refreshing = null;
      if (refreshAgain) { refreshAgain = false; refreshList(); }
    }
  })();
  return refreshing;
}

function onSnapshot(snapshot) {
  document.getElementById('total-down').textContent = fmt.rate(snapshot.downloadRate);
  document.getElementById('total-up').textContent = fmt.rate(snapshot.uploadRate);
  sessionGraph.push(snapshot.downloadRate, snapshot.uploadRate);
  let unknown = false, changed = false;
  const ids = new Set();
  for (const s of snapshot.torrents) {
    ids.add(s.id);
    const t = torrents.get(s.id);
    if (!t) { unknown = true; continue; }
    if (t.status !== s.status) changed = true;
    Object.assign(t, s);
    const left = (t.sizeWhenDone ?? 0) * (1 - s.percentDone);
    t.leftUntilDone = left;
    t.eta = s.eta ?? (s.percentDone >= 1 ? 0 : s.rateDownload > 0 ? left / s.rateDownload : -1);
    const samples = history.get(s.id) ?? [];
    samples.push([s.rateDownload, s.rateUpload]);
    if (samples.length > HISTORY) samples.shift();
    history.set(s.id, samples);
    details.liveUpdate(s);
  }
  const gone = [...torrents.keys()].some(id => !ids.has(id));
  render();
  // A torrent added or removed elsewhere, or a state change (finished, errored): fetch the list once.
  if (unknown || gone || changed) refreshList();
}

function onConnection(connected) {
  live = connected;
  const state = document.getElementById('live-state');
  state.textContent = connected ? 'live' : 'reconnecting…';
  state.className = `live-state ${connected ? 'ok' : 'lost'}`;
}

async function openDetails(id) {
  list.select(id);
  details.open(id, history.get(id));
}

async function toggle(id) {
  const t = torrents.get(id);
  if (!t) return;
  try {
    if (t.status === 0) await rpc.start([id]); else await rpc.stop([id]);
    toast(`${t.status === 0 ? 'Resumed' : 'Paused'} ${t.name}`);
  } catch (error) {
    showError(error);
  }
  await refreshList();
  if (details.id === id) details.refresh();
}

async function remove(id) {
  const t = torrents.get(id);
  if (!t) return;
  const answer = await removeDialog.ask(t.name);
  if (!answer.remove) { list.focusDetailsButton(id); return; }
  try {
    await rpc.remove([id], answer.deleteData);
    toast(`Removed ${t.name}${answer.deleteData ? ' and its data' : ''}`);
  } catch (error) {
    showError(error);
  }
  if (details.id === id) details.close();
  await refreshList();
  document.getElementById('torrent-list').focus();
}

async function add(request) {
  const added = await rpc.addTorrent(request); // errors are shown in the dialog
  toast(added.duplicate ? `${added.name} is already in the list` : `Added ${added.name}`);
  await refreshList();
}

function showError(error) {
  toast(`Error: ${error.message}`);
}

function toast(text) {
  const element = document.getElementById('toast');
  element.textContent = text;
  element.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => element.classList.remove('show'), 4000);
}

document.getElementById('add-open').addEventListener('click', () => addDialog.open());
document.getElementById('filter').addEventListener('input', event => { list.filter = event.target.value; list.applyFilter(); });

refreshList();
new LiveEvents(onSnapshot, onConnection).start();
setInterval(() => refreshList(), SLOW_REFRESH_MS);
setInterval(() => { if (!live) refreshList(); }, OFFLINE_REFRESH_MS);
