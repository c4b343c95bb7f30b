// ReNoise Studio's page script. The Content-Security-Policy allows scripts from this origin only, so
// everything the pages need beyond Blazor and MudBlazor is here: no inline script, no inline handler.
(() => {
  'use strict';

  const themeCookie = 'renoise_theme';

  window.reNoiseStudio = {
    /** Keeps the theme for the next full page load; the server reads it for the first paint. */
    setTheme(dark) {
      document.cookie = `${themeCookie}=${dark ? 'dark' : 'light'}; path=/; max-age=31536000; samesite=lax`;
    },

    /** Moves the keyboard focus to a field (a problem's link in the form's list). */
    focus(id) {
      const element = document.getElementById(id);
      if (!element) return false;
      element.scrollIntoView({ block: 'center' });
      element.focus({ preventScroll: true });
      return true;
    },
  };

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch {
        // Permission refused: fall back to a selection, which works without one.
      }
    }
    const area = document.createElement('textarea');
    area.value = text;
    area.setAttribute('readonly', '');
    area.className = 'offscreen';
    document.body.appendChild(area);
    area.select();
    let copied = false;
    try {
      copied = document.execCommand('copy');
    } catch {
      copied = false;
    }
    area.remove();
    return copied;
  }

  // Copy buttons anywhere (the owner's share panel, the public share page): <button data-copy="text">.
  // The button says what happened for a moment, and its status region tells screen readers.
  document.addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
    if (!button) return;
    event.preventDefault();
    const copied = await copyText(button.getAttribute('data-copy') || '');
    // The status region sits beside the link's row, in the link's box (.share-link).
    const box = button.closest('.share-link') || button.parentElement;
    const status = box && box.querySelector('[data-copy-status]');
    const message = copied ? 'Link copied' : 'Copy failed: select the link and copy it';
    if (status) status.textContent = message;
    button.setAttribute('data-copied', copied ? 'true' : 'false');
    window.setTimeout(() => {
      button.removeAttribute('data-copied');
      if (status) status.textContent = '';
    }, 2500);
  });

  // The reconnect banner's and the error bar's buttons.
  document.addEventListener('click', (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-reconnect]') : null;
    if (!button) return;
    const action = button.getAttribute('data-reconnect');
    if (action === 'reload') {
      location.reload();
    } else if (action === 'retry') {
      Promise.resolve(window.Blazor && Blazor.reconnect ? Blazor.reconnect() : false)
        .then((ok) => { if (!ok) location.reload(); }, () => location.reload());
    } else if (action === 'resume') {
      Promise.resolve(window.Blazor && Blazor.resumeCircuit ? Blazor.resumeCircuit() : false)
        .then((ok) => { if (!ok) location.reload(); }, () => location.reload());
    }
  });

  // Before/after sliders: the range input sets the divide, here in the page (static pages have no circuit).
  document.addEventListener('input', (event) => {
    const range = event.target;
    if (!(range instanceof HTMLInputElement) || range.type !== 'range') return;
    const compare = range.closest('.compare');
    if (compare) compare.style.setProperty('--pos', `${range.value}%`);
  });

  // Escape closes a confirmation at once, even before it has taken the focus or MudBlazor has started
  // listening for the key in it (a key pressed then was lost and the dialog stayed): the page answers
  // it with the dialog's own cancel button (the same answer as Escape), ahead of MudBlazor.
  document.addEventListener('keydown', (event) => {
    if (event.key !== 'Escape' || !event.isTrusted) return;
    const dialogs = document.querySelectorAll('.mud-dialog');
    const dialog = dialogs[dialogs.length - 1];
    const cancel = dialog && dialog.querySelector('.mud-message-box__cancel-button, .mud-message-box__no-button, .mud-button-close');
    if (!cancel) return; // other dialogs: MudBlazor's own handling
    event.preventDefault();
    event.stopPropagation();
    cancel.click();
  }, true);

  // A photo dropped anywhere but on an enabled file input would make the browser open it and leave the
  // studio (and the form): outside the drop zone, and while the form is still connecting, it is ignored.
  const isFileDrag = (event) => event.dataTransfer && Array.from(event.dataTransfer.types || []).includes('Files');
  const acceptsDrop = (event) => {
    const input = event.target instanceof Element ? event.target.closest('input[type=file]') : null;
    return input !== null && !input.disabled;
  };
  window.addEventListener('dragover', (event) => {
    if (isFileDrag(event) && !acceptsDrop(event)) {
      event.preventDefault();
      event.dataTransfer.dropEffect = 'none';
    }
  });
  window.addEventListener('drop', (event) => {
    if (isFileDrag(event) && !acceptsDrop(event)) event.preventDefault();
  });

  if (!window.Blazor) return;

  // A click on the crop picker's photo, as fractions of the photo's box (Blazor knows no element sizes).
  Blazor.registerCustomEventType('croppick', {
    browserEventName: 'click',
    createEventArgs: (event) => {
      const box = event.target.getBoundingClientRect();
      return {
        x: box.width > 0 ? (event.clientX - box.left) / box.width : 0.5,
        y: box.height > 0 ? (event.clientY - box.top) / box.height : 0.5,
      };
    },
  });

  // The server pings every 5 s (Program.cs); 12 s without a word means it is gone, and the reconnect
  // banner shows (SignalR's own default waits 30 s).
  Blazor.start({
    circuit: {
      configureSignalR: (builder) => builder.withServerTimeout(12000).withKeepAliveInterval(5000),
    },
  });
})();
