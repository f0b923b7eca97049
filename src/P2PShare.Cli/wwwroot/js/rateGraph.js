// A live line graph of download and upload rates over the last N samples, drawn on a canvas.

import { rate } from './format.js';

export class RateGraph {
  #down = [];
  #up = [];

  /** @param {HTMLCanvasElement} canvas @param {number} capacity samples kept (one a second) */
  constructor(canvas, capacity = 120) {
    this.canvas = canvas;
    this.capacity = capacity;
    this.resizeObserver = new ResizeObserver(() => this.draw());
    this.resizeObserver.observe(canvas);
  }

  push(down, up) {
    this.#down.push(down);
    this.#up.push(up);
    if (this.#down.length > this.capacity) { this.#down.shift(); this.#up.shift(); }
    this.draw();
  }

  clear() {
    this.#down = [];
    this.#up = [];
    this.draw();
  }

  get samples() { return this.#down.length; }

  draw() {
    const canvas = this.canvas;
    const scale = window.devicePixelRatio || 1;
    const width = canvas.clientWidth, height = canvas.clientHeight;
    if (width === 0 || height === 0) return;
    if (canvas.width !== Math.round(width * scale) || canvas.height !== Math.round(height * scale)) {
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(scale, 0, 0, scale, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const style = getComputedStyle(canvas);
    const colour = name => style.getPropertyValue(name).trim();

    const top = Math.max(1024, ...this.#down, ...this.#up) * 1.1;
    const plotTop = 16, plotHeight = height - plotTop - 2;
    ctx.strokeStyle = colour('--grid');
    ctx.lineWidth = 1;
    for (const f of [0.25, 0.5, 0.75]) {
      const y = Math.round(plotTop + plotHeight * f) + 0.5;
      ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(width, y); ctx.stroke();
    }
    const line = (values, stroke, fill) => {
      if (values.length < 2) return;
      const step = width / (this.capacity - 1);
      const x0 = width - (values.length - 1) * step;
      ctx.beginPath();
      values.forEach((v, i) => {
        const x = x0 + i * step, y = plotTop + plotHeight * (1 - v / top);
        if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
      });
      ctx.strokeStyle = stroke;
      ctx.lineWidth = 2;
      ctx.stroke();
      ctx.lineTo(width, plotTop + plotHeight);
      ctx.lineTo(x0, plotTop + plotHeight);
      ctx.closePath();
      ctx.fillStyle = fill;
      ctx.fill();
    };
    line(this.#down, colour('--down'), colour('--down-fill'));
    line(this.#up, colour('--up'), colour('--up-fill'));
    ctx.fillStyle = colour('--muted');
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'top';
    ctx.fillText(`max ${rate(top / 1.1)}`, 4, 2);
  }
}
