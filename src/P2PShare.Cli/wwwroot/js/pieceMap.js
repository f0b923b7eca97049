// The piece map: Transmission's `pieces` field (base64 of the bitfield, high bit first) drawn on a canvas.
// With more pieces than cells, each cell stands for a run of pieces and is shaded by the share it has.

export function decodeBitfield(base64, pieceCount) {
  const have = new Uint8Array(pieceCount);
  if (!base64) return have;
  const raw = atob(base64);
  for (let i = 0; i < pieceCount; i++) {
    const byte = raw.charCodeAt(i >> 3);
    if (byte & (0x80 >> (i & 7))) have[i] = 1;
  }
  return have;
}

export function drawPieceMap(canvas, base64, pieceCount) {
  const scale = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  if (width === 0) return { cells: 0, had: 0 };
  const have = decodeBitfield(base64, pieceCount);
  const cell = pieceCount <= 256 ? 12 : pieceCount <= 2048 ? 8 : 6;
  const gap = 1;
  const columns = Math.max(1, Math.floor(width / (cell + gap)));
  const maxRows = 24;
  const cells = Math.min(pieceCount, columns * maxRows);
  const rows = Math.max(1, Math.ceil(cells / columns));
  const height = rows * (cell + gap);
  canvas.style.height = `${height}px`;
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  const style = getComputedStyle(canvas);
  const hadColour = style.getPropertyValue('--piece-have').trim();
  const missingColour = style.getPropertyValue('--piece-missing').trim();
  let had = 0;
  for (const h of have) had += h;
  for (let c = 0; c < cells; c++) {
    const from = Math.floor((c * pieceCount) / cells), to = Math.floor(((c + 1) * pieceCount) / cells);
    let count = 0;
    for (let i = from; i < to; i++) count += have[i];
    const share = to > from ? count / (to - from) : 0;
    const x = (c % columns) * (cell + gap), y = Math.floor(c / columns) * (cell + gap);
    ctx.fillStyle = missingColour;
    ctx.fillRect(x, y, cell, cell);
    if (share > 0) {
      ctx.globalAlpha = share === 1 ? 1 : 0.35 + 0.65 * share;
      ctx.fillStyle = hadColour;
      ctx.fillRect(x, y, cell, cell);
      ctx.globalAlpha = 1;
    }
  }
  return { cells, had };
}
