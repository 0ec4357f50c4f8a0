// app.js — the entry module of the pixmatch web app: builds the tabs,
// routes pastes, registers the service worker, and after the first paint
// loads the recognition module and restores the gallery kept on this
// device. window.pixmatchApp exposes the app's state to tests and to the
// console.

import { Session } from './session.js';
import { SettingsPanel } from './settings.js';
import { RecognisePanel } from './recognise.js';
import { GalleryPanel } from './gallery.js';
import { CameraPanel } from './camera.js';
import { byId, notify } from './ui.js';
import { imageFrom } from './media.js';
import { messageOf } from './errors.js';

const TABS = ['recognise', 'gallery', 'camera', 'settings'];

const session = new Session(location.origin);

/**
 * The app's public face.
 * - ready: resolves when the app is interactive (the recognition module
 *   is loaded and the stored gallery restored);
 * - lastLocal, lastServer, lastCamera: the last result of each kind;
 * - sync(): brings the browser's copy of the gallery up to date.
 */
const app = {
  ready: /** @type {Promise<void>} */ (Promise.resolve()),
  lastLocal: null,
  lastServer: null,
  lastCamera: null,
  async sync() {
    await session.pending;
    return session.sync();
  },
  session,
};
window.pixmatchApp = app;

/** The tabs' panels; each has show() and may have hide(). */
const views = {
  settings: new SettingsPanel(session),
  recognise: new RecognisePanel(session, app),
  gallery: new GalleryPanel(session),
  camera: new CameraPanel(session, app),
};
let current = '';

/**
 * Shows one tab and hides the others.
 * @param {string} name one of TABS
 */
function showTab(name) {
  if (!TABS.includes(name) || name === current) return;
  const previous = current;
  current = name;
  for (const tab of TABS) {
    const on = tab === name;
    const button = byId(`tab-${tab}`);
    button.setAttribute('aria-selected', String(on));
    button.tabIndex = on ? 0 : -1;
    byId(`panel-${tab}`).hidden = !on;
  }
  if (previous && views[previous].hide) views[previous].hide();
  views[name].show();
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
}

for (const tab of TABS) {
  byId(`tab-${tab}`).addEventListener('click', () => showTab(tab));
}
// Arrow keys move between tabs, as in any tab list.
byId('tab-recognise').parentElement.addEventListener('keydown', (e) => {
  const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
  if (!step) return;
  const next = TABS[(TABS.indexOf(current) + step + TABS.length) % TABS.length];
  showTab(next);
  byId(`tab-${next}`).focus();
});
addEventListener('hashchange', () => showTab(location.hash.slice(1)));

// A pasted picture is a new target on the Gallery tab and a picture to
// recognise anywhere else.
document.addEventListener('paste', (e) => {
  const file = imageFrom(e.clipboardData);
  if (!file) return;
  e.preventDefault();
  if (current === 'gallery') {
    views.gallery.useFile(file);
  } else {
    showTab('recognise');
    views.recognise.recognise(file);
  }
});

const wanted = location.hash.slice(1);
showTab(TABS.includes(wanted) ? wanted : session.appId && session.token ? 'recognise' : 'settings');

app.ready = boot();

async function boot() {
  await afterFirstPaint();
  registerServiceWorker();
  try {
    await session.start();
  } catch (err) {
    notify(messageOf(err), 'error');
  }
  if (session.moduleError) {
    notify(`Recognition in the browser is unavailable: ${messageOf(session.moduleError)}`, 'error');
  }
}

/** Resolves after the page has painted once (or 100 ms, if hidden). */
function afterFirstPaint() {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 100);
    requestAnimationFrame(() =>
      setTimeout(() => {
        clearTimeout(timer);
        resolve();
      }, 0),
    );
  });
}

/** Installs sw.js, which keeps the app working offline. */
function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch((err) => {
    console.warn('pixmatch: the service worker could not be installed:', err);
  });
}
