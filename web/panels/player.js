// Slow motion and single steps. The engine runs at full speed; what it reports (a token, a NAT pass, a row of
// pixels) is queued per panel ("track") and shown one step at a time: every `interval` ms while playing, or
// one step per track for each "Next step" while paused. Live mode shows each step at once, as before.
//
//   const player = new Player(barElement);
//   player.start('slow' | 'step' | 'live');
//   const track = player.track(250);          // one per panel; interval in ms between its steps
//   track.push(() => draw(event));            // for each event
//   await track.drain();                      // resolves when every pushed step is on screen
//   player.end();                             // hides the bar once all tracks are drained
import { t } from '../i18n/index.js';

class Track {
  constructor(player, interval) {
    this.player = player;
    this.interval = interval;
    this.queue = [];
    this.shown = 0;
    this.total = 0;
    this.readyAt = 0;
    this.timer = null;
    this.waiters = [];
  }

  push(action) {
    this.total++;
    if (this.player.mode === 'live') {
      this.shown++;
      action();
      return;
    }
    this.queue.push(action);
    this.player.pump(this);
    this.player.showState();
  }

  runOne() {
    const action = this.queue.shift();
    if (!action) return;
    this.shown++;
    this.readyAt = performance.now() + this.interval;
    action();
    if (!this.queue.length) this.release();
  }

  release() {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  // Resolves when everything pushed so far is shown.
  drain() {
    if (!this.queue.length) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  stopTimer() {
    clearTimeout(this.timer);
    this.timer = null;
  }
}

export class Player {
  constructor(bar) {
    this.bar = bar;
    this.mode = 'live'; // 'live' | 'playing' | 'paused'
    this.tracks = [];
    this.buttons = Object.fromEntries([...bar.querySelectorAll('[data-act]')].map((b) => [b.dataset.act, b]));
    this.stateLine = bar.querySelector('.player-state');
    this.buttons.pause.addEventListener('click', () => this.pause());
    this.buttons.play.addEventListener('click', () => this.play());
    this.buttons.step.addEventListener('click', () => this.step());
    document.addEventListener('atnat:language', () => this.showState());
  }

  // speed: 'live' (no queue), 'slow' (playing), 'step' (paused until "Next step").
  start(speed) {
    this.flush();
    this.tracks = [];
    this.mode = speed === 'live' ? 'live' : speed === 'slow' ? 'playing' : 'paused';
    this.bar.hidden = this.mode === 'live';
    this.bar.dataset.mode = this.mode;
    this.showState();
  }

  track(interval) {
    const track = new Track(this, interval);
    this.tracks.push(track);
    return track;
  }

  pump(track) {
    if (this.mode !== 'playing' || track.timer || !track.queue.length) return;
    const wait = Math.max(0, track.readyAt - performance.now());
    track.timer = setTimeout(() => {
      track.timer = null;
      track.runOne();
      this.showState();
      this.pump(track);
    }, wait);
  }

  play() {
    if (this.mode === 'live') return;
    this.mode = 'playing';
    this.bar.dataset.mode = this.mode;
    for (const track of this.tracks) this.pump(track);
    this.showState();
  }

  pause() {
    if (this.mode === 'live') return;
    this.mode = 'paused';
    this.bar.dataset.mode = this.mode;
    for (const track of this.tracks) track.stopTimer();
    this.showState();
  }

  // One step on every track that has one waiting.
  step() {
    if (this.mode === 'playing') this.pause();
    for (const track of this.tracks) track.runOne();
    this.showState();
  }

  // Shows everything still queued at once and goes live (Stop, a new run).
  flush() {
    for (const track of this.tracks) {
      track.stopTimer();
      while (track.queue.length) track.runOne();
      track.release();
    }
    if (this.mode !== 'live') this.mode = 'live';
    this.showState();
  }

  // Called when the run is over and drained: the bar goes away.
  end() {
    this.flush();
    this.bar.hidden = true;
  }

  showState() {
    const shown = this.tracks.reduce((s, tr) => s + tr.shown, 0);
    const total = this.tracks.reduce((s, tr) => s + tr.total, 0);
    const waiting = this.tracks.some((tr) => tr.queue.length);
    this.buttons.pause.disabled = this.mode !== 'playing';
    this.buttons.play.disabled = this.mode !== 'paused';
    this.buttons.step.disabled = this.mode === 'live' || !waiting;
    this.bar.dataset.shown = String(shown);
    this.bar.dataset.waiting = this.tracks.map((tr) => tr.queue.length).join(' ');
    const line = this.mode === 'paused' ? `${t('player.paused')} · ` : '';
    this.stateLine.textContent = this.mode === 'live' ? '' : line + t('player.state', { shown, total, finished: true });
  }
}
