// The torrent list: one row per torrent, updated in place (focus and selection survive the once-a-second updates).

import * as fmt from './format.js';

const COLUMNS = ['Name', 'Progress', 'State', 'Down', 'Up', 'ETA', 'Ratio'];

export class TorrentList {
  #rows = new Map(); // id -> {tr, cells}

  /**
   * @param {HTMLTableSectionElement} tbody
   * @param {{onDetails(id), onToggle(id), onRemove(id)}} actions
   */
  constructor(tbody, actions) {
    this.tbody = tbody;
    this.actions = actions;
    this.filter = '';
    this.selectedId = null;
    tbody.addEventListener('click', event => {
      const button = event.target.closest('button[data-action]');
      if (!button) return;
      const id = Number(button.closest('tr').dataset.id);
      if (button.dataset.action === 'details') actions.onDetails(id);
      else if (button.dataset.action === 'toggle') actions.onToggle(id);
      else if (button.dataset.action === 'remove') actions.onRemove(id);
    });
  }

  /** Shows exactly these torrents (rows of others go), in the given order. */
  render(torrents) {
    const seen = new Set();
    let previous = null;
    for (const t of torrents) {
      seen.add(t.id);
      let row = this.#rows.get(t.id);
      if (!row) {
        row = this.#createRow(t.id);
        this.#rows.set(t.id, row);
      }
      const expected = previous ? previous.nextSibling : this.tbody.firstChild;
      if (expected !== row.tr) this.tbody.insertBefore(row.tr, expected);
      this.#update(row, t);
      previous = row.tr;
    }
    for (const [id, row] of this.#rows)
      if (!seen.has(id)) { row.tr.remove(); this.#rows.delete(id); }
    this.applyFilter();
  }

  applyFilter() {
    const needle = this.filter.trim().toLowerCase();
    for (const row of this.#rows.values())
      row.tr.hidden = needle !== '' && !row.name.toLowerCase().includes(needle);
  }

  select(id) {
    this.selectedId = id;
    for (const [rowId, row] of this.#rows) row.tr.classList.toggle('selected', rowId === id);
  }

  focusDetailsButton(id) { this.#rows.get(id)?.cells.detailsButton.focus(); }

  #createRow(id) {
    const tr = document.createElement('tr');
    tr.dataset.id = String(id);
    const td = (label, className) => {
      const cell = document.createElement('td');
      cell.dataset.label = label;
      if (className) cell.className = className;
      tr.append(cell);
      return cell;
    };
    const nameCell = td(COLUMNS[0], 'name');
    const detailsButton = button('', 'details', 'link');
    const errorText = document.createElement('span');
    errorText.className = 'error-text';
    nameCell.append(detailsButton, errorText);

    const progressCell = td(COLUMNS[1], 'progress-cell');
    const wrap = document.createElement('span');
    const bar = document.createElement('progress');
    bar.max = 1;
    const pct = document.createElement('span');
    pct.className = 'pct';
    wrap.append(bar, ' ', pct);
    progressCell.append(wrap);

    const badge = document.createElement('span');
    badge.className = 'badge';
    td(COLUMNS[2], 'state').append(badge);
    const down = td(COLUMNS[3], 'rate-down');
    const up = td(COLUMNS[4], 'rate-up');
    const eta = td(COLUMNS[5], 'eta');
    const ratio = td(COLUMNS[6], 'ratio');
    const actions = td('Actions', 'actions');
    const toggle = button('Pause', 'toggle');
    const remove = button('Remove', 'remove');
    actions.append(toggle, remove);
    tr.classList.toggle('selected', id === this.selectedId);
    return { tr, name: '', cells: { detailsButton, errorText, bar, pct, badge, down, up, eta, ratio, toggle, remove } };
  }

  #update(row, t) {
    const c = row.cells;
    row.name = t.name ?? '';
    setText(c.detailsButton, row.name || t.hashString || `#${t.id}`);
    c.detailsButton.setAttribute('aria-label', `Details of ${row.name}`);
    setText(c.errorText, t.errorString || '');
    const done = Math.min(1, Math.max(0, t.percentDone ?? 0));
    if (c.bar.value !== done) c.bar.value = done;
    c.bar.setAttribute('aria-label', `${row.name} progress`);
    setText(c.pct, fmt.percent(done));
    setText(c.badge, fmt.status(t.status, t));
    c.badge.className = `badge ${fmt.statusClass(t.status, t)}`;
    setText(c.down, fmt.rate(t.rateDownload));
    setText(c.up, fmt.rate(t.rateUpload));
    setText(c.eta, t.percentDone >= 1 ? '–' : fmt.eta(t.eta));
    setText(c.ratio, fmt.ratio(t.uploadRatio));
    const paused = t.status === 0;
    setText(c.toggle, paused ? 'Resume' : 'Pause');
    c.toggle.setAttribute('aria-label', `${paused ? 'Resume' : 'Pause'} ${row.name}`);
    c.remove.setAttribute('aria-label', `Remove ${row.name}`);
    row.tr.dataset.status = String(t.status);
  }
}

function button(text, action, className) {
  const b = document.createElement('button');
  b.type = 'button';
  b.dataset.action = action;
  if (className) b.className = className;
  b.textContent = text;
  return b;
}

function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}
