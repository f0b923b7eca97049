// The add and remove dialogs (native <dialog>: modal, Escape closes, focus returns to the opener).

/** Reads a File as base64 (what torrent-add's `metainfo` takes). */
export async function fileToBase64(file) {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  return btoa(binary);
}

export class AddDialog {
  /** @param {(request) => Promise<void>} onAdd rejects with an Error whose message is shown in the dialog */
  constructor(onAdd) {
    this.dialog = document.getElementById('add-dialog');
    this.form = document.getElementById('add-form');
    this.error = document.getElementById('add-error');
    this.file = document.getElementById('add-file');
    this.magnet = document.getElementById('add-magnet');
    document.getElementById('add-cancel').addEventListener('click', () => this.dialog.close());
    this.form.addEventListener('submit', async event => {
      event.preventDefault();
      const submit = document.getElementById('add-submit');
      submit.disabled = true;
      try {
        await onAdd(await this.#request());
        this.dialog.close();
      } catch (error) {
        this.error.textContent = error.message;
      } finally {
        submit.disabled = false;
      }
    });
  }

  open() {
    this.form.reset();
    this.error.textContent = '';
    this.dialog.showModal();
    this.file.focus();
  }

  async #request() {
    const file = this.file.files[0];
    const magnet = this.magnet.value.trim();
    if (!file && !magnet) throw new Error('Choose a .torrent file or paste a magnet link.');
    if (file && magnet) throw new Error('Give either a file or a magnet link, not both.');
    if (magnet && !magnet.toLowerCase().startsWith('magnet:?')) throw new Error('A magnet link starts with "magnet:?".');
    if (file && file.size > 16 * 1024 * 1024) throw new Error('That file is too large for a .torrent.');
    return {
      metainfo: file ? await fileToBase64(file) : undefined,
      magnet: magnet || undefined,
      paused: document.getElementById('add-paused').checked,
      downloadDir: document.getElementById('add-dir').value.trim() || undefined,
    };
  }
}

export class RemoveDialog {
  #resolve = null;

  constructor() {
    this.dialog = document.getElementById('remove-dialog');
    document.getElementById('remove-cancel').addEventListener('click', () => this.dialog.close('cancel'));
    document.getElementById('remove-form').addEventListener('submit', event => {
      event.preventDefault();
      this.dialog.close('remove');
    });
    this.dialog.addEventListener('close', () => {
      const answer = this.dialog.returnValue === 'remove'
        ? { remove: true, deleteData: document.getElementById('remove-data').checked }
        : { remove: false };
      this.#resolve?.(answer);
      this.#resolve = null;
    });
  }

  /** Asks; resolves with {remove, deleteData}. */
  ask(name) {
    document.getElementById('remove-name').textContent = name;
    document.getElementById('remove-data').checked = false;
    this.dialog.returnValue = '';
    this.dialog.showModal();
    document.getElementById('remove-cancel').focus();
    return new Promise(resolve => { this.#resolve = resolve; });
  }
}
