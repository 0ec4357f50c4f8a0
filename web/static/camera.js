// camera.js — the Camera tab: continuous recognition of the camera's
// picture. The module reads each frame once, in its worker: it searches
// the gallery kept on this device and makes the frame's query (its local
// features and fingerprint). With a server to ask, the query goes to POST
// /search/features, one request at a time, the next frame being read
// while it is in flight; the server's answer names the target and gives
// its corners, and its outline is drawn over the video, moved by each
// answer. Without a server (offline, refusing for a while, or none
// configured), the frame is also matched here by its features against the
// feature records the copy holds (a small gallery's), which names the
// target and places its outline exactly as the server's answer does; a
// larger gallery's copy names it by its hashes, without an outline. The
// picture itself never leaves the device.
// The next frame is taken as soon as the last is read, so the rate
// follows the device and the server.

import { byId, formatScore, outlineOf } from './ui.js';
import { CrsError, NO_RESULT, isBlankPicture, messageOf } from './errors.js';

/** Frames are scaled so their longer side is at most this many pixels. */
const MAX_SIDE = 640;
/** Consecutive failed searches after which the camera is stopped. */
const MAX_FAILURES = 5;
/** The longest wait for a new video frame, in ms. */
const FRAME_WAIT = 30;
/** How long an outline stays through answers that do not place the target, in ms. */
const OUTLINE_HOLD = 500;
/** How long the server is not asked after it failed to answer a search, in ms. */
const SERVER_PAUSE = 2000;

/** The Camera tab. */
export class CameraPanel {
  /**
   * @param {import('./session.js').Session} session
   * @param {{lastCamera: any}} app receives the last result
   */
  constructor(session, app) {
    this.session = session;
    this.app = app;
    this.startButton = /** @type {HTMLButtonElement} */ (byId('camera-start'));
    this.stopButton = /** @type {HTMLButtonElement} */ (byId('camera-stop'));
    this.video = /** @type {HTMLVideoElement} */ (byId('video'));
    this.overlay = /** @type {HTMLCanvasElement} */ (byId('overlay'));
    this.viewer = byId('viewer');
    this.label = byId('camera-match');
    this.fpsLabel = byId('fps');
    this.status = byId('camera-status');
    this.run = 0; // bumped by every start and stop; a loop runs while it holds its own
    this.stream = null;
    this.presented = 0; // video frames presented so far, when the browser tells
    this.shown = []; // when the last second's answers were shown, for the rate
    this.shownAt = 0; // when the rate was last written
    this.outline = null; // {points, at}: the target's corners in video pixels, and when they came
    this.firstFrameAt = 0; // when the first frame of this run was taken
    this.serverPausedUntil = 0;
    this.bind();
  }

  show() {}

  /** Leaving the tab releases the camera. */
  hide() {
    this.stop();
  }

  bind() {
    // The viewer takes the video's shape, so the overlay lines up with it.
    this.video.addEventListener('loadedmetadata', () => {
      const { videoWidth: w, videoHeight: h } = this.video;
      if (w && h) this.viewer.style.setProperty('--aspect', String(w / h));
    });
    this.startButton.addEventListener('click', () => this.start());
    this.stopButton.addEventListener('click', () => this.stop());
    // Release the camera when the page goes away or out of sight.
    addEventListener('pagehide', () => this.stop());
    document.addEventListener('visibilitychange', () => {
      if (document.hidden && this.stream) this.stop();
    });
  }

  /** Opens the back camera and starts recognising. */
  async start() {
    if (this.stream) return;
    const mine = ++this.run;
    this.startButton.disabled = true;
    this.stopButton.disabled = false;
    this.fpsLabel.textContent = '– fps';
    this.status.textContent = 'Starting the camera…';
    try {
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        throw new Error('This browser cannot use the camera on this page: it needs https (or localhost).');
      }
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: 'environment', width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      });
      if (mine !== this.run) {
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      this.stream = stream;
      this.video.srcObject = stream;
      await this.video.play();
      this.countFrames(mine);
      const pm = await this.session.localIndex();
      if (mine !== this.run) return;
      this.status.textContent = 'Recognising. Point the camera at a target.';
      this.loop(pm, mine);
    } catch (err) {
      if (mine !== this.run) return;
      this.stop();
      this.status.textContent = cameraError(err);
    }
  }

  /** Stops recognising and releases the camera. */
  stop() {
    this.run++;
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.video.srcObject = null;
    this.outline = null;
    this.overlay.getContext('2d').clearRect(0, 0, this.overlay.width, this.overlay.height);
    delete this.overlay.dataset.corners;
    this.label.hidden = true;
    this.label.textContent = '';
    delete this.label.dataset.state;
    this.startButton.disabled = false;
    this.stopButton.disabled = true;
    if (this.status.textContent.startsWith('Recognising')) this.status.textContent = 'Camera stopped.';
  }

  /** Counts presented frames, so the loop knows when a new one is there. */
  countFrames(mine) {
    const video = this.video;
    if (!('requestVideoFrameCallback' in video)) return;
    const tick = () => {
      this.presented++;
      if (mine === this.run) video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  }

  /** Waits until the video shows a frame newer than `seen` (briefly). */
  newerFrame(seen) {
    const video = this.video;
    if (!('requestVideoFrameCallback' in video) || this.presented !== seen) {
      return new Promise((resolve) => setTimeout(resolve, 0));
    }
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, FRAME_WAIT);
      video.requestVideoFrameCallback(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Reads frame after frame until stopped: each is searched here, and
   * its query sent to the server when one can be asked and the previous
   * request has been answered.
   */
  async loop(pm, mine) {
    Object.assign(this, { shown: [], shownAt: 0, outline: null, firstFrameAt: 0, serverPausedUntil: 0 });
    let failures = 0;
    let asking = null; // the server's answer under way
    while (mine === this.run) {
      const seen = this.presented;
      let frame = null;
      if (this.video.readyState >= 2 && this.video.videoWidth) {
        try {
          frame = await this.readFrame(pm);
          failures = 0;
        } catch (err) {
          if (mine !== this.run) return;
          if (++failures >= MAX_FAILURES) {
            this.stop();
            this.status.textContent = `Recognition stopped: ${messageOf(err)}`;
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, 200)); // then try again
        }
      }
      if (mine !== this.run) return;
      if (frame && frame.query && this.serverUsable()) {
        await asking; // one request in flight: this frame waits for the last answer
        if (mine !== this.run) return;
        asking = this.askServer(frame, mine);
      } else if (frame) {
        this.present(frame, frame.matches[0] || null, 'browser');
      }
      await this.newerFrame(seen);
    }
  }

  /** Reports whether a frame's query should go to the server now. */
  serverUsable() {
    const s = this.session;
    return Boolean(s.appId && s.token) && !s.offline && performance.now() >= this.serverPausedUntil;
  }

  /**
   * Grabs the current video frame, scaled down, and has the module read
   * it: {matches, query, ms, width, height}, the last two the video's
   * size. Without a server to ask, the local search verifies its features
   * too, and its matches may carry corners. A blank frame (a dark or
   * covered lens) has no matches and no query.
   */
  async readFrame(pm) {
    const { videoWidth: w, videoHeight: h } = this.video;
    const scale = Math.min(1, MAX_SIDE / Math.max(w, h));
    if (!this.firstFrameAt) this.firstFrameAt = performance.now();
    const bitmap = scale < 1
      ? await createImageBitmap(this.video, {
        resizeWidth: Math.round(w * scale),
        resizeHeight: Math.round(h * scale),
        resizeQuality: 'medium',
      })
      : await createImageBitmap(this.video);
    try {
      return { ...(await pm.query(bitmap, { limit: 1, features: !this.serverUsable() })), width: w, height: h };
    } catch (err) {
      if (isBlankPicture(err)) return { matches: [], query: null, ms: {}, width: w, height: h };
      throw err;
    } finally {
      bitmap.close();
    }
  }

  /**
   * Searches the server with a frame's query and shows its answer. When
   * the server cannot answer (unreachable, throttled, refusing), the
   * frame's local answer is shown and the server left alone for a while.
   */
  async askServer(frame, mine) {
    const { query } = frame;
    const parts = { features: query.features, notracking: true };
    if (query.fingerprint) parts.fingerprint = query.fingerprint;
    let best = null;
    try {
      best = (await this.session.crs.postParts('/search/features', parts)).target;
    } catch (err) {
      if (mine !== this.run) return;
      if (!(err instanceof CrsError && err.code === NO_RESULT)) {
        this.serverPausedUntil = performance.now() + SERVER_PAUSE;
        this.present(frame, frame.matches[0] || null, 'browser');
        return;
      }
    }
    if (mine !== this.run) return;
    this.present(frame, best, 'server');
  }

  /**
   * Shows the answer for a frame: best is the match or null, via who
   * answered ('server' or 'browser'). A match with corners, the server's
   * or the browser's (both in pixels of the frame's query plane), moves
   * the outline; answers without them keep the last one OUTLINE_HOLD ms.
   */
  present(frame, best, via) {
    const now = performance.now();
    const done = this.shown;
    done.push(now);
    while (now - done[0] > 1000) done.shift();
    const fps = done.length > 1 ? ((done.length - 1) * 1000) / (now - done[0]) : 0;
    const q = frame.query;
    const points = q ? outlineOf(best, frame.width / q.width, frame.height / q.height) : null;
    if (points) this.outline = { points, at: now };
    else if (this.outline && now - this.outline.at > OUTLINE_HOLD) this.outline = null;
    const corners = this.outline ? this.outline.points : null;
    const since = now - this.firstFrameAt;
    this.app.lastCamera = { matches: frame.matches, ms: frame.ms, state: best ? 'match' : 'nomatch', best, fps, via, corners, since };
    this.draw(best);
    if (now - this.shownAt > 250) {
      this.fpsLabel.textContent = `${fps.toFixed(1)} fps`;
      this.shownAt = now;
    }
  }

  /**
   * Shows the match over the video: its name and score in #camera-match
   * (changed only when they change) and, on the overlay, the target's
   * outline (its corners in video pixels in the overlay's data-corners),
   * or a green frame around the picture for a match not placed.
   */
  draw(best) {
    const text = best ? `${best.name} · ${formatScore(best.score)}` : 'no match';
    if (this.label.textContent !== text || this.label.hidden) {
      this.label.textContent = text;
      this.label.dataset.state = best ? 'match' : 'nomatch';
      this.label.hidden = false;
    }
    const { videoWidth: w, videoHeight: h } = this.video;
    const canvas = this.overlay;
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext('2d');
    ctx.clearRect(0, 0, w, h);
    const line = Math.max(4, Math.round(h * 0.012));
    ctx.strokeStyle = 'rgba(34, 197, 94, 0.9)';
    ctx.lineWidth = line;
    if (this.outline) {
      const [first, ...rest] = this.outline.points;
      ctx.beginPath();
      ctx.moveTo(...first);
      for (const p of rest) ctx.lineTo(...p);
      ctx.closePath();
      ctx.lineJoin = 'round';
      ctx.fillStyle = 'rgba(34, 197, 94, 0.15)';
      ctx.fill();
      ctx.stroke();
      canvas.dataset.corners = JSON.stringify(this.outline.points);
      return;
    }
    delete canvas.dataset.corners;
    if (best) ctx.strokeRect(line / 2, line / 2, w - line, h - line);
  }
}

/** Explains why the camera could not start. */
function cameraError(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'The camera permission was refused. Allow the camera for this site and try again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found on this device.';
    case 'NotReadableError':
      return 'The camera is in use by another application.';
    default:
      return messageOf(err);
  }
}
