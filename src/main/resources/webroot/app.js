'use strict';
/*
 * Crawler Hub dashboard: plain browser JavaScript, no build step, no external resources.
 * One snapshot from the REST API, then live updates from the /api/events Server-Sent Events
 * stream. State lives in `S`; render() redraws from it at most every 150 ms.
 */
(() => {
  const $ = (id) => document.getElementById(id);
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const CHART_WINDOW_MS = 10 * 60 * 1000;
  const FINISHED_VISIBLE_MS = 8000;
  const MAX_JOBS_SHOWN = 12;
  // A fleet of thousands is not a table to scroll: the first rows (trouble first), the rest counted, a filter to find one.
  const MAX_CRAWLERS_SHOWN = 50;
  const MAX_ERRORS = 50;

  const S = {
    status: null, statusAt: 0,
    crawlers: new Map(),   // key: connectionId (or crawlerId) -> crawler row
    closedRow: new Map(),  // crawlerId -> key of its closed row (one at most; a reconnect replaces it)
    jobs: new Map(),       // jobId -> job view
    aggregate: null, aggregateAt: 0,
    samples: [],           // {t, v} fleet throughput, one per second
    finished: new Map(),   // jobId -> when it left running (late progress for it is ignored)
    errors: [], alerts: [], suppressed: 0,
    lastEventAt: 0, source: null,
  };

  // ---------------------------------------------------------------- formatting
  const nf = new Intl.NumberFormat('en-US');
  const num = (n) => (n == null || Number.isNaN(n) ? '–' : nf.format(Math.round(n)));
  const rate = (n) => (n == null ? '–' : n >= 100 ? nf.format(Math.round(n)) : n.toFixed(1));
  const pct = (f) => (f == null ? '–' : (Math.max(0, Math.min(1, f)) * 100).toFixed(f >= 0.995 || f === 0 ? 0 : 1) + '%');
  function dur(ms) {
    if (ms == null || !isFinite(ms) || ms < 0) return '–';
    const s = Math.round(ms / 1000);
    if (s < 60) return s + 's';
    const m = Math.floor(s / 60);
    if (m < 60) return s % 60 ? m + 'm ' + String(s % 60).padStart(2, '0') + 's' : m + 'm';
    const h = Math.floor(m / 60);
    if (h < 48) return h + 'h ' + String(m % 60).padStart(2, '0') + 'm';
    return Math.floor(h / 24) + 'd ' + (h % 24) + 'h';
  }
  function ago(t) {
    if (!t) return '–';
    const d = Date.now() - t;
    return d < 1500 ? 'just now' : dur(d) + ' ago';
  }
  const time = (v) => (typeof v === 'number' ? v : v ? Date.parse(v) : NaN);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  // ---------------------------------------------------------------- API
  class AuthError extends Error {}
  async function api(path, options) {
    const r = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { Accept: 'application/json' } }, options));
    if (r.status === 401) throw new AuthError('unauthenticated');
    if (!r.ok) throw new Error(path + ' answered ' + r.status);
    return r.json();
  }

  async function boot() {
    try {
      S.status = await api('/api/status');
      S.statusAt = Date.now();
    } catch (e) {
      if (e instanceof AuthError) { askToken(); return; }
      setLive('offline', 'Hub unreachable');
      setTimeout(boot, 5000);
      return;
    }
    await loadSnapshot();
    connect();
    startSampling();
  }

  // The chart samples once a second from the first snapshot on (no zeros from before login).
  let samplingTimer = null;
  function startSampling() {
    if (samplingTimer) return;
    sample();
    samplingTimer = setInterval(sample, 1000);
  }

  async function loadSnapshot() {
    const [conns, crawlers, progress, running, assigned, errors] = await Promise.allSettled([
      api('/api/connections'), api('/api/crawlers'), api('/api/progress'),
      api('/api/jobs?status=running&limit=200'), api('/api/jobs?status=assigned&limit=200'),
      api('/api/errors?limit=' + MAX_ERRORS),
    ]);
    if (conns.status === 'fulfilled') {
      for (const c of conns.value.crawlers || conns.value.connections || []) upsertCrawler(c, true);
    }
    if (crawlers.status === 'fulfilled') {
      for (const c of crawlers.value.crawlers || []) {
        const row = upsertCrawler(c, true);
        if (c.progress && c.progress.rate != null) row.reportedRate = c.progress.rate;
      }
    }
    if (progress.status === 'fulfilled') onAggregate(progress.value);
    for (const res of [running, assigned]) {
      if (res.status !== 'fulfilled') continue;
      for (const j of res.value.jobs || []) {
        const v = upsertJob(j.id, { status: j.status, crawlerId: j.leaseOwner, attempt: j.attempt });
        applyJobDetails(v, j);
        if (j.progress && typeof j.progress === 'object' && !v.progress) v.progress = j.progress;
      }
    }
    if (errors.status === 'fulfilled') {
      S.errors = (errors.value.errors || []).slice().sort((a, b) => time(b.timestamp) - time(a.timestamp)).slice(0, MAX_ERRORS);
    }
    schedule();
  }

  // ---------------------------------------------------------------- live stream
  function connect() {
    if (S.source) S.source.close();
    const es = new EventSource('/api/events');
    S.source = es;
    es.onopen = () => setLive('live');
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        setLive('offline', 'Disconnected');
        setTimeout(boot, 3000);
      } else {
        setLive('connecting', 'Reconnecting…');
      }
    };
    const on = (name, fn) => es.addEventListener(name, (ev) => {
      S.lastEventAt = Date.now();
      try { fn(JSON.parse(ev.data)); } catch (err) { console.warn('bad ' + name + ' event', err); }
      schedule();
    });
    on('job', onJobEvent);
    on('progress', onProgress);
    on('aggregate', onAggregate);
    on('crawler', onCrawlerEvent);
    on('heartbeat', onHeartbeat);
    on('hub-error', (e) => { S.errors.unshift(e); S.errors.length = Math.min(S.errors.length, MAX_ERRORS); });
    on('alert', (a) => { a.receivedAt = Date.now(); S.alerts.unshift(a); S.alerts.length = Math.min(S.alerts.length, 5); });
    on('errors-suppressed', (e) => { S.suppressed += e.count || 0; });
    on('reset', () => { loadSnapshot(); });
  }

  function setLive(state, text) {
    const b = $('live-state');
    b.dataset.state = state;
    b.querySelector('b').textContent = text || (state === 'live' ? 'Live' : 'Connecting…');
  }

  // ---------------------------------------------------------------- state updates
  function crawlerKey(c) { return c.connectionId || c.crawlerId; }
  // Sorts "crawler-9" before "crawler-10" with a plain string comparison (computed once per id, not per compare).
  const naturalKey = (id) => String(id).toLowerCase().replace(/\d+/g, (d) => d.padStart(12, '0'));

  function upsertCrawler(c, connected) {
    const key = crawlerKey(c);
    if (!key) return {};
    let row = S.crawlers.get(key);
    if (!row) { row = { key, firstSeen: Date.now(), sortKey: naturalKey(key) }; S.crawlers.set(key, row); }
    if (c.crawlerId && c.crawlerId !== row.crawlerId) { row.crawlerId = c.crawlerId; row.sortKey = naturalKey(c.crawlerId); }
    if (connected && !row.connected && S.closedRow.get(row.crawlerId) === key) S.closedRow.delete(row.crawlerId);
    if (c.connectionId) row.connectionId = c.connectionId;
    if (c.transport) row.transport = c.transport;
    if (c.systemStatus) row.systemStatus = c.systemStatus;
    if (c.activeJobs != null) row.activeJobs = c.activeJobs;
    if (c.lastHeartbeat) row.lastHeartbeat = time(c.lastHeartbeat);
    if (c.connectedAt) row.connectedAt = time(c.connectedAt);
    if (connected) { row.connected = true; row.goneAt = null; }
    return row;
  }

  function onCrawlerEvent(e) {
    switch (e.event) {
      case 'connected':
      case 'authenticated': {
        const row = upsertCrawler(e, true);
        if (!row.connectedAt) row.connectedAt = time(e.at) || Date.now();
        if (!row.systemStatus) row.systemStatus = 'idle';
        // A reconnect under the same crawler id replaces its old, closed row (an index, not a scan:
        // a fleet of thousands reconnecting after a hub restart would be quadratic).
        forgetClosedRow(row.crawlerId, row.key);
        break;
      }
      case 'disconnected':
      case 'heartbeat_timeout': {
        const row = S.crawlers.get(crawlerKey(e));
        if (row) {
          row.connected = false; row.goneAt = Date.now(); row.goneReason = e.event.replace('_', ' ');
          if (row.crawlerId) { forgetClosedRow(row.crawlerId, row.key); S.closedRow.set(row.crawlerId, row.key); }
        }
        break;
      }
      default:
        break;
    }
  }

  function forgetClosedRow(crawlerId, keep) {
    const k = S.closedRow.get(crawlerId);
    if (k === undefined) return;
    S.closedRow.delete(crawlerId);
    const other = S.crawlers.get(k);
    if (k !== keep && other && !other.connected) S.crawlers.delete(k);
  }

  function onHeartbeat(h) {
    const row = upsertCrawler(h, true);
    row.lastHeartbeat = time(h.at) || Date.now();
  }

  function upsertJob(id, fields) {
    let j = S.jobs.get(id);
    if (!j) { j = { id, firstSeen: Date.now() }; S.jobs.set(id, j); }
    for (const [k, v] of Object.entries(fields)) if (v != null) j[k] = v;
    return j;
  }

  function applyJobDetails(j, job) {
    j.entityType = job.entityType; j.entityId = job.entityId; j.fullPath = job.fullPath;
    j.jobType = job.jobType || job.command; j.detailsLoaded = true;
  }

  const detailQueue = [];
  let detailInFlight = 0;
  function fetchDetails(j) {
    if (j.detailsLoaded || j.detailsQueued) return;
    j.detailsQueued = true;
    detailQueue.push(j);
    pumpDetails();
  }
  function pumpDetails() {
    while (detailInFlight < 4 && detailQueue.length) {
      const j = detailQueue.shift();
      if (j.detailsLoaded) continue;
      detailInFlight++;
      api('/api/jobs/' + encodeURIComponent(j.id))
        .then((d) => { applyJobDetails(j, d.job || {}); if (!j.progress && d.progress) j.progress = d.progress; if (!j.crawlerId && d.job) j.crawlerId = d.job.leaseOwner; schedule(); })
        .catch(() => { j.detailsLoaded = true; })
        .finally(() => { detailInFlight--; pumpDetails(); });
    }
  }

  const ACTIVE = new Set(['assigned', 'running']);
  // A job's states in order: attempt, then this rank (the hub's JobStatusOrder). Events come in
  // publish order, which two statements answered on different connections do not always keep
  // (a retry's requeue can arrive after the claim of the retried job): an older one changes nothing.
  const RANK = { queued: 0, assigned: 1, running: 2, failed: 3, completed: 4, cancelled: 4, dead: 4 };
  function isOlder(e, j) {
    if (!j || !j.status || j.attempt == null || e.attempt == null) return false;
    if (e.attempt !== j.attempt) return e.attempt < j.attempt;
    return (RANK[e.to] ?? -1) <= (RANK[j.status] ?? -1);
  }
  function onJobEvent(e) {
    if (isOlder(e, S.jobs.get(e.jobId))) return;
    const j = upsertJob(e.jobId, { status: e.to, attempt: e.attempt });
    if (e.crawlerId) j.crawlerId = e.crawlerId;
    if (ACTIVE.has(e.to)) {
      j.finishedAt = null;
      S.finished.delete(e.jobId);
    } else {
      j.finishedAt = Date.now();
      S.finished.set(e.jobId, j.finishedAt);
    }
  }

  function onProgress(p) {
    if (S.finished.has(p.jobId) && !S.jobs.has(p.jobId)) return;
    const j = upsertJob(p.jobId, {});
    j.progress = p;
    j.progressAt = Date.now();
    if (p.crawlerId && !j.crawlerId) j.crawlerId = p.crawlerId;
    if (!j.status || j.status === 'queued' || j.status === 'assigned') j.status = 'running';
  }

  function onAggregate(a) {
    if (!a || typeof a !== 'object') return;
    S.aggregate = a;
    S.aggregateAt = Date.now();
  }

  function currentThroughput() {
    if (S.aggregate && Date.now() - S.aggregateAt < 5000 && S.aggregate.combinedThroughput != null) {
      return S.aggregate.combinedThroughput;
    }
    let sum = 0;
    for (const j of S.jobs.values()) {
      if (j.status === 'running' && j.progress && Date.now() - (j.progressAt || 0) < 10000) sum += j.progress.rate || 0;
    }
    return sum;
  }

  function sample() {
    const now = Date.now();
    S.samples.push({ t: now, v: currentThroughput() });
    while (S.samples.length && S.samples[0].t < now - CHART_WINDOW_MS) S.samples.shift();
    // Forget finished jobs and long-gone crawlers so a long-running tab stays small.
    for (const [id, j] of S.jobs) if (j.finishedAt && now - j.finishedAt > FINISHED_VISIBLE_MS + 2000) S.jobs.delete(id);
    for (const [id, at] of S.finished) if (now - at > 5 * 60000) S.finished.delete(id);
    for (const [k, c] of S.crawlers) {
      if (!c.connected && c.goneAt && now - c.goneAt > 60000) {
        S.crawlers.delete(k);
        if (S.closedRow.get(c.crawlerId) === k) S.closedRow.delete(c.crawlerId);
      }
    }
    schedule();
  }

  // ---------------------------------------------------------------- rendering
  let renderTimer = null;
  function schedule() {
    if (renderTimer) return;
    renderTimer = setTimeout(() => { renderTimer = null; render(); }, 150);
  }

  function render() {
    renderHeader();
    renderKpis();
    renderQueue();
    renderCrawlers();
    renderJobs();
    renderErrors();
    renderChart();
  }

  function renderHeader() {
    if (S.status) {
      const cl = S.status.cluster;
      const nodes = cl && Array.isArray(cl.nodes) ? cl.nodes : null;
      $('node-id').textContent = 'node ' + (S.status.nodeId || '—') + (nodes ? ' · cluster of ' + nodes.length : '');
      $('node-id').title = nodes
        ? nodes.map((n) => n.nodeId + ': ' + num(n.activeConnections || 0) + ' crawler(s)').join('\n')
        : 'node';
      if (S.status.uptimeMs != null) $('uptime').textContent = 'up ' + dur(S.status.uptimeMs + Date.now() - S.statusAt);
    }
    $('last-update').textContent = S.lastEventAt ? 'updated ' + ago(S.lastEventAt) : '';
  }

  function runningJobs() {
    return [...S.jobs.values()].filter((j) => ACTIVE.has(j.status) || (j.finishedAt && Date.now() - j.finishedAt < FINISHED_VISIBLE_MS));
  }

  function renderKpis() {
    const a = S.aggregate || {};
    const crawlers = [...S.crawlers.values()].filter((c) => c.connected);
    const busy = crawlers.filter((c) => c.systemStatus === 'processing' || c.systemStatus === 'discovering').length;
    $('kpi-crawlers').textContent = num(crawlers.length);
    $('kpi-crawlers-sub').textContent = crawlers.length ? num(busy) + ' busy · ' + num(crawlers.length - busy) + ' idle' : 'none connected';
    const active = runningJobs().filter((j) => ACTIVE.has(j.status));
    $('kpi-running').textContent = num(a.activeJobs != null ? a.activeJobs : active.length);
    const withProgress = active.filter((j) => j.progress && j.progress.completion != null);
    $('kpi-running-sub').textContent = withProgress.length
      ? 'avg ' + pct(withProgress.reduce((s, j) => s + j.progress.completion, 0) / withProgress.length) + ' done'
      : '\u00a0';
    $('kpi-queued').textContent = num(a.queuedJobs);
    $('kpi-queued-sub').textContent = a.totalJobs != null ? 'of ' + num(a.totalJobs) + ' jobs' : '\u00a0';
    $('kpi-completed').textContent = num(a.completedJobs);
    $('kpi-completed-sub').textContent = a.totalJobs ? pct((a.completedJobs || 0) / a.totalJobs) + ' of all jobs' : '\u00a0';
    $('kpi-failed').textContent = a.failedJobs == null && a.deadJobs == null ? '–' : num(a.failedJobs || 0) + ' · ' + num(a.deadJobs || 0);
    $('kpi-failed-sub').textContent = S.errors.length ? S.errors.length + (S.errors.length === 1 ? ' recent error' : ' recent errors') : 'no recent errors';
    const tp = currentThroughput();
    $('kpi-throughput').textContent = rate(tp) + '/s';
    const peak = S.samples.reduce((m, s) => Math.max(m, s.v), 0);
    $('kpi-throughput-sub').textContent = 'peak ' + rate(peak) + '/s';
  }

  const QUEUE_PARTS = [
    ['queued', 'Queued', 'queuedJobs'], ['active', 'Active', 'activeJobs'], ['completed', 'Completed', 'completedJobs'],
    ['failed', 'Failed', 'failedJobs'], ['dead', 'Dead', 'deadJobs'],
  ];
  function renderQueue() {
    const a = S.aggregate || {};
    const counts = QUEUE_PARTS.map(([cls, label, key]) => [cls, label, a[key] || 0]);
    // The hub reports cancelledJobs; older hubs did not, so the remainder of totalJobs stands in.
    if (a.cancelledJobs != null) counts.push(['other', 'Cancelled', a.cancelledJobs]);
    const known = counts.reduce((s, c) => s + c[2], 0);
    const total = Math.max(a.totalJobs || 0, known);
    if (a.cancelledJobs == null && total > known) counts.push(['other', 'Cancelled', total - known]);
    $('queue-total').textContent = total ? num(total) + ' jobs' : '';
    const stack = $('queue-stack');
    stack.replaceChildren(...counts.filter((c) => c[2] > 0).map(([cls, label, n]) => {
      const s = el('span', 'c-' + cls);
      s.style.width = (n / total * 100) + '%';
      s.title = label + ': ' + num(n);
      return s;
    }));
    $('queue-legend').replaceChildren(...counts.map(([cls, label, n]) => {
      const li = el('li');
      li.append(el('i', 'c-' + cls), el('span', null, label), el('b', null, num(n)));
      return li;
    }));
    const overall = a.overallCompletion;
    $('overall-pct').textContent = pct(overall);
    $('overall-bar').style.width = ((overall || 0) * 100) + '%';
    $('overall-eta').textContent = dur(a.estimatedTimeRemaining);
  }

  const crawlerRows = new Map();
  // Order: trouble first (error status, or no heartbeat for two intervals), then connected, then
  // offline; by id within each. Stable while crawlers just go busy and idle.
  function crawlerRank(c, now, staleAfter) {
    if (!c.connected) return 2;
    const stale = c.lastHeartbeat && now - c.lastHeartbeat > staleAfter;
    return c.systemStatus === 'error' || stale ? 0 : 1;
  }
  function renderCrawlers() {
    const body = $('crawlers-body');
    const now = Date.now();
    const staleAfter = 2 * ((S.status && S.status.config && S.status.config.heartbeatInterval) || 30000);
    const filter = $('crawlers-filter').value.trim().toLowerCase();
    const all = [...S.crawlers.values()];
    let online = 0;
    for (const c of all) if (c.connected) online++;
    const list = filter ? all.filter((c) => String(c.crawlerId || c.key).toLowerCase().includes(filter)) : all;
    for (const c of list) c.rank = crawlerRank(c, now, staleAfter);
    list.sort((x, y) => (x.rank - y.rank) || (x.sortKey < y.sortKey ? -1 : x.sortKey > y.sortKey ? 1 : 0));
    const shown = list.slice(0, MAX_CRAWLERS_SHOWN);
    $('crawlers-count').textContent = num(online) + ' online' + (filter ? ' · ' + num(list.length) + ' match' : '');
    $('crawlers-empty').hidden = all.length > 0;
    // running jobs per crawler, once per render (not a scan of every job for every row)
    const runningBy = new Map();
    for (const j of S.jobs.values()) {
      if (j.status === 'running' && j.crawlerId) {
        const l = runningBy.get(j.crawlerId);
        if (l) l.push(j); else runningBy.set(j.crawlerId, [j]);
      }
    }
    const keep = new Set();
    const rows = shown.map((c) => {
      keep.add(c.key);
      let tr = crawlerRows.get(c.key);
      if (!tr) {
        tr = el('tr');
        tr.dataset.crawler = c.crawlerId || c.key;
        tr.append(el('td', 'cid'), el('td'), el('td', 'num'), el('td', 'num'), el('td', 'num'));
        crawlerRows.set(c.key, tr);
      }
      tr.dataset.crawler = c.crawlerId || c.key;
      tr.classList.toggle('gone', !c.connected);
      const [idCell, statusCell, jobsCell, rateCell, hbCell] = tr.children;
      idCell.replaceChildren(document.createTextNode(c.crawlerId || c.key), el('small', null,
        (c.transport || 'unix') + (c.connectedAt ? ' · since ' + ago(c.connectedAt).replace(' ago', '') : '')));
      const status = c.connected ? (c.systemStatus || 'idle') : 'offline';
      const badge = el('span', 'badge ' + status, c.connected ? status : (c.goneReason || 'offline'));
      statusCell.replaceChildren(badge);
      const running = runningBy.get(c.crawlerId) || [];
      jobsCell.textContent = num(c.activeJobs != null ? c.activeJobs : running.length);
      const live = running.filter((j) => j.progress && now - (j.progressAt || 0) < 15000);
      const r = live.length ? live.reduce((s, j) => s + (j.progress.rate || 0), 0) : c.reportedRate;
      rateCell.textContent = r == null ? '–' : rate(r) + '/s';
      hbCell.textContent = ago(c.lastHeartbeat);
      hbCell.classList.toggle('stale', c.connected && c.lastHeartbeat && now - c.lastHeartbeat > staleAfter);
      return tr;
    });
    for (const k of [...crawlerRows.keys()]) if (!keep.has(k)) crawlerRows.delete(k);
    if (list.length > shown.length) {
      const more = el('tr', 'more-row');
      const td = el('td', 'more', '… and ' + num(list.length - shown.length) + ' more' + (filter ? '' : ' (filter by id to find one)'));
      td.colSpan = 5;
      more.append(td);
      rows.push(more);
    }
    syncChildren(body, rows);
  }

  const jobRows = new Map();
  function renderJobs() {
    // plain string order for ties (ids are not prose; localeCompare costs ~1 µs a call on thousands of jobs)
    const list = runningJobs().sort((x, y) => x.firstSeen - y.firstSeen || (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    const shown = list.slice(0, MAX_JOBS_SHOWN);
    const activeCount = list.filter((j) => ACTIVE.has(j.status)).length;
    $('jobs-count').textContent = activeCount + ' active';
    $('jobs-empty').hidden = list.length > 0;
    const keep = new Set();
    const items = shown.map((j) => {
      keep.add(j.id);
      // Details (path, type) only for the rows on screen: a fleet running 10,000 jobs would
      // otherwise make the page ask for every one of them.
      fetchDetails(j);
      let li = jobRows.get(j.id);
      if (!li) {
        li = el('li', 'job');
        li.dataset.job = j.id;
        const bar = el('div', 'bar');
        bar.append(el('span'));
        li.append(el('div', 'title'), el('div', 'pct'), el('div', 'meta'), el('div', 'stats'), bar);
        jobRows.set(j.id, li);
      }
      const [title, pctEl, meta, stats, bar] = li.children;
      const p = j.progress || {};
      title.textContent = j.fullPath || j.entityId || j.id;
      title.title = j.id;
      const stage = p.stage || j.status;
      meta.textContent = [j.entityType || j.jobType, stage, j.crawlerId ? 'on ' + j.crawlerId : null,
        j.attempt > 1 ? 'attempt ' + j.attempt : null].filter(Boolean).join(' · ');
      const done = j.status === 'completed';
      const failed = ['failed', 'dead', 'cancelled'].includes(j.status);
      const completion = done ? 1 : p.completion != null ? p.completion : null;
      pctEl.textContent = failed ? j.status : pct(completion);
      const processed = p.processed != null ? num(p.processed) + (p.total ? ' / ' + num(p.total) : '') : '';
      const eta = !done && !failed && p.etaMs != null ? ' · ETA ' + dur(p.etaMs) : '';
      stats.textContent = [processed, p.rate != null && !done && !failed ? rate(p.rate) + '/s' : null].filter(Boolean).join(' · ') + eta;
      bar.className = 'bar' + (done ? ' done' : failed ? ' failed' : '');
      bar.firstChild.style.width = ((completion || 0) * 100) + '%';
      li.classList.toggle('finished', !ACTIVE.has(j.status));
      return li;
    });
    for (const k of [...jobRows.keys()]) if (!keep.has(k)) jobRows.delete(k);
    if (list.length > shown.length) items.push(el('li', 'more', '… and ' + (list.length - shown.length) + ' more'));
    syncChildren($('jobs-list'), items);
  }

  function renderErrors() {
    const alerts = S.alerts.map((a) => {
      const li = el('li', 'alert');
      const what = a.message || ((a.category || 'errors') + ': ' + (a.count != null ? num(a.count) + ' errors' : 'threshold exceeded')
        + (a.threshold != null ? ' (threshold ' + num(a.threshold) + (a.windowMs || a.window ? ' per ' + dur(a.windowMs || a.window) : '') + ')' : ''));
      li.append(el('strong', null, '⚠ ' + (a.type || a.alert || 'alert').replace(/_/g, ' ')), el('span', null, what),
        el('span', 'muted small', ago(time(a.at || a.timestamp) || a.receivedAt)));
      return li;
    });
    syncChildren($('alerts-list'), alerts);
    const errs = S.errors.slice(0, 12).map((e) => {
      const li = el('li', 'err');
      li.append(el('span', 'sev ' + (e.severity || 'low'), e.severity || 'low'), el('span', 'cat', e.category || '—'));
      const msg = el('span', 'msg', (e.code ? e.code + ': ' : '') + (e.message || ''));
      const who = [e.crawlerId, e.jobId].filter(Boolean).join(' · ');
      msg.title = msg.textContent + (who ? ' (' + who + ')' : '');
      if (who) msg.append(el('span', 'muted', '  ' + who));
      li.append(msg, el('span', 'when', ago(time(e.timestamp || e.at))));
      return li;
    });
    syncChildren($('errors-list'), errs);
    $('errors-empty').hidden = S.errors.length + S.alerts.length > 0;
    $('errors-count').textContent = (S.errors.length ? S.errors.length + ' recent' : '') + (S.suppressed ? ' · ' + num(S.suppressed) + ' suppressed' : '');
  }

  /** Makes parent's children exactly `nodes` (in order) without recreating existing ones. */
  function syncChildren(parent, nodes) {
    nodes.forEach((n, i) => { if (parent.children[i] !== n) parent.insertBefore(n, parent.children[i] || null); });
    while (parent.children.length > nodes.length) parent.lastChild.remove();
  }

  // ---------------------------------------------------------------- chart (hand-drawn SVG)
  function niceMax(v) {
    if (v <= 0) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  }
  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    if (text != null) e.textContent = text;
    return e;
  }
  function renderChart() {
    const wrap = $('chart-wrap');
    const chart = $('throughput-chart');
    const W = Math.max(wrap.clientWidth, 200);
    const H = Math.max(wrap.clientHeight, 120);
    chart.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    chart.dataset.samples = String(S.samples.length);
    const pad = { l: 48, r: 16, t: 14, b: 26 };
    const iw = W - pad.l - pad.r;
    const ih = H - pad.t - pad.b;
    const now = Date.now();
    const first = S.samples.length ? S.samples[0].t : now;
    const span = Math.min(CHART_WINDOW_MS, Math.max(60000, now - first));
    const x0 = now - span;
    const vmax = niceMax(Math.max(...S.samples.map((s) => s.v), 0) * 1.15);
    const X = (t) => pad.l + ((t - x0) / span) * iw;
    const Y = (v) => pad.t + ih - (v / vmax) * ih;
    $('chart-window').textContent = 'items / second · last ' + dur(span);

    const nodes = [];
    const defs = svg('defs');
    const grad = svg('linearGradient', { id: 'tp-fill', x1: 0, y1: 0, x2: 0, y2: 1 });
    grad.append(svg('stop', { offset: '0', 'stop-color': '#4f9dff', 'stop-opacity': '0.32' }),
      svg('stop', { offset: '1', 'stop-color': '#4f9dff', 'stop-opacity': '0' }));
    defs.append(grad);
    nodes.push(defs);
    for (let i = 0; i <= 4; i++) {
      const v = (vmax / 4) * i;
      const y = Y(v);
      nodes.push(svg('line', { class: 'gridline', x1: pad.l, x2: W - pad.r, y1: y, y2: y }));
      nodes.push(svg('text', { class: 'axis', x: pad.l - 8, y: y + 4, 'text-anchor': 'end' }, v >= 1000 ? (v / 1000) + 'k' : String(+v.toFixed(1))));
    }
    const ticks = 5;
    for (let i = 0; i <= ticks; i++) {
      const t = x0 + (span / ticks) * i;
      const label = i === ticks ? 'now' : '−' + dur(now - t);
      nodes.push(svg('text', { class: 'axis', x: X(t), y: H - 6, 'text-anchor': i === 0 ? 'start' : i === ticks ? 'end' : 'middle' }, label));
    }
    const pts = S.samples.filter((s) => s.t >= x0);
    if (pts.length >= 2) {
      const line = pts.map((s, i) => (i ? 'L' : 'M') + X(s.t).toFixed(1) + ' ' + Y(s.v).toFixed(1)).join(' ');
      const area = line + ' L' + X(pts[pts.length - 1].t).toFixed(1) + ' ' + Y(0) + ' L' + X(pts[0].t).toFixed(1) + ' ' + Y(0) + ' Z';
      nodes.push(svg('path', { class: 'area', d: area }));
      nodes.push(svg('path', { class: 'line', id: 'throughput-line', d: line }));
      const last = pts[pts.length - 1];
      nodes.push(svg('circle', { class: 'dot', cx: X(last.t), cy: Y(last.v), r: 4.5 }));
      nodes.push(svg('text', { class: 'dot-label', x: X(last.t) - 8, y: Math.max(pad.t + 12, Y(last.v) - 10), 'text-anchor': 'end' }, rate(last.v) + '/s'));
    } else {
      nodes.push(svg('text', { class: 'placeholder', x: pad.l + iw / 2, y: pad.t + ih / 2, 'text-anchor': 'middle' }, 'Collecting throughput samples…'));
    }
    chart.replaceChildren(...nodes);
  }

  $('crawlers-filter').addEventListener('input', () => schedule());

  // ---------------------------------------------------------------- login
  function askToken() {
    const modal = $('login');
    modal.hidden = false;
    $('login-token').focus();
  }
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const token = $('login-token').value;
    const r = await fetch('/api/session', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token }),
    });
    if (r.ok) {
      $('login').hidden = true;
      $('login-error').hidden = true;
      $('login-token').value = '';
      boot();
    } else {
      $('login-error').hidden = false;
    }
  });

  window.addEventListener('resize', schedule);
  schedule();
  boot();
})();
