// camera.js — the Camera tab: continuous recognition of the camera's
// picture in this browser. One search is in flight at a time; the next
// frame is taken as soon as it returns, so the rate follows the device.

import { byId, formatScore } from './ui.js';
import { isBlankPicture, messageOf } from './errors.js';

/** Frames are scaled so their longer side is at most this many pixels. */
const MAX_SIDE = 640;
/** Consecutive failed searches after which the camera is stopped. */
const MAX_FAILURES = 5;
/** The longest wait for a new video frame, in ms. */
const FRAME_WAIT = 30;

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
      this.status.textContent = 'Recognising in this browser. Point the camera at a target.';
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
    this.overlay.getContext('2d').clearRect(0, 0, this.overlay.width, this.overlay.height);
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

  /** Searches frame after frame until stopped. */
  async loop(pm, mine) {
    const done = []; // completion times of the last second's searches
    let failures = 0;
    let shownAt = 0;
    while (mine === this.run) {
      const seen = this.presented;
      let res = null;
      if (this.video.readyState >= 2 && this.video.videoWidth) {
        try {
          res = await this.searchFrame(pm);
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
      if (res) {
        const now = performance.now();
        done.push(now);
        while (now - done[0] > 1000) done.shift();
        const fps = done.length > 1 ? ((done.length - 1) * 1000) / (now - done[0]) : 0;
        const best = res.matches[0] || null;
        this.app.lastCamera = { ...res, state: best ? 'match' : 'nomatch', best, fps };
        this.draw(best);
        if (now - shownAt > 250) {
          this.fpsLabel.textContent = `${fps.toFixed(1)} fps`;
          shownAt = now;
        }
      }
      await this.newerFrame(seen);
    }
  }

  /** Grabs the current video frame, scaled down, and searches it. */
  async searchFrame(pm) {
    const { videoWidth: w, videoHeight: h } = this.video;
    const scale = Math.min(1, MAX_SIDE / Math.max(w, h));
    const bitmap = scale < 1
      ? await createImageBitmap(this.video, {
        resizeWidth: Math.round(w * scale),
        resizeHeight: Math.round(h * scale),
        resizeQuality: 'medium',
      })
      : await createImageBitmap(this.video);
    try {
      return await pm.search(bitmap, { limit: 1 });
    } catch (err) {
      if (isBlankPicture(err)) return { matches: [], ms: {} }; // a dark or covered lens
      throw err;
    } finally {
      bitmap.close();
    }
  }

  /**
   * Shows the match over the video: its name and score in #camera-match
   * (changed only when they change), a green frame on the overlay.
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
    if (best) {
      const line = Math.max(4, Math.round(h * 0.012));
      ctx.strokeStyle = 'rgba(34, 197, 94, 0.9)';
      ctx.lineWidth = line;
      ctx.strokeRect(line / 2, line / 2, w - line, h - line);
    }
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
