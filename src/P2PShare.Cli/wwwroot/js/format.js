// Human-readable numbers: sizes, rates, durations, ratios, and Transmission's status codes.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(n) {
  if (!Number.isFinite(n) || n < 0) return '–';
  let unit = 0;
  while (n >= 1024 && unit < UNITS.length - 1) { n /= 1024; unit++; }
  return `${n.toFixed(unit === 0 || n >= 100 ? 0 : 1)} ${UNITS[unit]}`;
}

export function rate(bytesPerSecond) {
  return bytesPerSecond > 0 ? `${bytes(bytesPerSecond)}/s` : '0 B/s';
}

/** Seconds to "1d 2h", "3h 4m", "5m 6s"; Transmission's -1 (unknown) and -2 (not available) read as "–". */
export function eta(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds === 0) return 'done';
  const s = Math.round(seconds);
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60, sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

export function ratio(value) {
  if (value === -2) return '∞';
  if (!Number.isFinite(value) || value < 0) return '–';
  return value.toFixed(2);
}

export function percent(fraction) {
  if (!Number.isFinite(fraction)) return '–';
  const p = fraction * 100;
  return `${p >= 100 ? 100 : p.toFixed(1)}%`;
}

// Transmission: 0 stopped, 1 check wait, 2 checking, 3 download wait, 4 downloading, 5 seed wait, 6 seeding.
const STATUS = ['Paused', 'Queued to check', 'Checking', 'Queued', 'Downloading', 'Queued to seed', 'Seeding'];

export function status(code, torrent = {}) {
  if (torrent.error > 0 || torrent.errorString) return 'Error';
  return STATUS[code] ?? 'Unknown';
}

/** A CSS class naming the status family, for colour. */
export function statusClass(code, torrent = {}) {
  if (torrent.error > 0 || torrent.errorString) return 'st-error';
  return ['st-paused', 'st-check', 'st-check', 'st-queued', 'st-down', 'st-queued', 'st-seed'][code] ?? 'st-paused';
}

export const PRIORITY = { '-1': 'Low', '0': 'Normal', '1': 'High' };
