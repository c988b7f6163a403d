// Waterline map viewer: scenes from GET /scenes, imagery from the scene's TileJSON, the water of the
// latest succeeded job as vector tiles (layer `water`; a change job's polygons coloured by `class`),
// job start (POST /jobs: one scene, or two for a water change job) and progress polling.
// Everything is served by the Waterline server itself (MapLibre from node_modules, no CDN, no basemap).
import { Map as MapLibreMap, NavigationControl, ScaleControl } from '/viewer/maplibre/maplibre-gl.mjs';

const $ = (id) => document.getElementById(id);
const state = { scenes: [], scene: null, job: null, waterJobId: null, status: 'starting', error: null };

const map = new MapLibreMap({
  container: 'map',
  style: {
    version: 8,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#dfe6ea' } }],
  },
  center: [0, 20],
  zoom: 1,
  attributionControl: false,
  // keep the drawing buffer so screenshots of the canvas show the map
  canvasContextAttributes: { preserveDrawingBuffer: true },
});
map.addControl(new NavigationControl({ showCompass: false }));
map.addControl(new ScaleControl());
const mapLoaded = new Promise((resolve) => map.on('load', resolve));

function apiHeaders(json = false) {
  const headers = {};
  const key = $('api-key').value.trim();
  if (key) headers['X-API-Key'] = key;
  if (json) headers['Content-Type'] = 'application/json';
  return headers;
}

async function getJson(url, init) {
  const res = await fetch(url, init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.detail ?? `${res.status} ${res.statusText}`);
  return body;
}

function setStatus(text, isError = false) {
  const el = $('job-status');
  el.textContent = text;
  el.className = isError ? 'error' : 'muted';
}

function removeLayer(ids, sourceId) {
  for (const id of ids) if (map.getLayer(id)) map.removeLayer(id);
  if (map.getSource(sourceId)) map.removeSource(sourceId);
}

async function showImagery(scene) {
  const tj = await getJson(`/scenes/${scene.id}/tilejson.json`);
  removeLayer(['imagery'], 'imagery');
  map.addSource('imagery', { type: 'raster', tiles: tj.tiles, tileSize: 256, bounds: tj.bounds, minzoom: tj.minzoom, maxzoom: tj.maxzoom });
  map.addLayer({ id: 'imagery', type: 'raster', source: 'imagery', layout: { visibility: $('show-imagery').checked ? 'visible' : 'none' } }, map.getLayer('water') ? 'water' : undefined);
  map.fitBounds([[tj.bounds[0], tj.bounds[1]], [tj.bounds[2], tj.bounds[3]]], { padding: 20, animate: false });
}

// Change classes (the same colours as the change report and the PNG overlay); plain water is blue.
const CLASS_COLOURS = { permanent: 'rgb(31,94,201)', gained: 'rgb(38,166,76)', lost: 'rgb(214,48,39)', unknown: 'rgb(160,160,160)' };
const byClass = (fallback) => ['match', ['get', 'class'], ...Object.entries(CLASS_COLOURS).flat(), fallback];

// The run report of a segment job (GET /jobs/{id}/report), linked as soon as the job is known (no map needed).
function showReportLink(job) {
  const report = job?.links?.find((l) => l.rel === 'report');
  $('job-report').hidden = !report;
  if (report) $('job-report').href = report.href;
}

// Before/after for a change job: date B's imagery over date A's, faded in with the A ◀ ▶ B slider.
async function showDateB(job) {
  removeLayer(['imagery-b'], 'imagery-b');
  $('before-after').hidden = true;
  if (job?.kind !== 'change') return;
  const tj = await getJson(`/scenes/${job.scenes[1]}/tilejson.json`);
  map.addSource('imagery-b', { type: 'raster', tiles: tj.tiles, tileSize: 256, bounds: tj.bounds, minzoom: tj.minzoom, maxzoom: tj.maxzoom });
  map.addLayer({ id: 'imagery-b', type: 'raster', source: 'imagery-b', paint: { 'raster-opacity': Number($('date-b-opacity').value) / 100 } }, map.getLayer('water') ? 'water' : undefined);
  $('before-after').hidden = false;
}

async function showWater(job) {
  removeLayer(['water', 'water-outline'], 'water');
  state.waterJobId = null;
  $('water-info').textContent = '';
  $('change-legend').hidden = true;
  await showDateB(job);
  if (!job) return;
  const tj = await getJson(`/jobs/${job.id}/tilejson.json?format=mvt`);
  map.addSource('water', { type: 'vector', tiles: tj.tiles, bounds: tj.bounds, minzoom: tj.minzoom, maxzoom: tj.maxzoom });
  const visibility = $('show-water').checked ? 'visible' : 'none';
  map.addLayer({ id: 'water', type: 'fill', source: 'water', 'source-layer': 'water', layout: { visibility }, paint: { 'fill-color': byClass('#1f78ff'), 'fill-opacity': 0.6 } });
  map.addLayer({ id: 'water-outline', type: 'line', source: 'water', 'source-layer': 'water', layout: { visibility }, paint: { 'line-color': byClass('#0b3d91'), 'line-width': 1 } });
  state.waterJobId = job.id;
  const isChange = job.kind === 'change';
  $('change-legend').hidden = !isChange;
  const other = isChange ? state.scenes.find((s) => s.id === job.scenes[1]) : null;
  $('water-info').textContent = isChange
    ? `water change of job ${job.id.slice(0, 8)}: this scene → ${other?.name ?? job.scenes[1].slice(0, 8)}`
    : `water of job ${job.id.slice(0, 8)} (${job.prompt})`;
}

async function latestSucceededJob(sceneId) {
  const { jobs } = await getJson('/jobs');
  return jobs.filter((j) => j.scene === sceneId && j.state === 'succeeded').sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0] ?? null;
}

async function selectScene(scene) {
  state.scene = scene;
  for (const li of $('scenes').children) li.classList.toggle('selected', li.dataset.id === scene.id);
  const compare = $('compare-to');
  compare.replaceChildren(compare.options[0]);
  for (const other of state.scenes) {
    if (other.id === scene.id) continue;
    const option = document.createElement('option');
    option.value = other.id;
    option.textContent = other.name;
    compare.append(option);
  }
  $('start-job').disabled = false;
  const latest = await latestSucceededJob(scene.id);
  showReportLink(latest);
  await mapLoaded;
  await showImagery(scene);
  await showWater(latest);
}

async function loadScenes() {
  const { scenes } = await getJson('/scenes');
  state.scenes = scenes;
  const ul = $('scenes');
  ul.replaceChildren();
  if (scenes.length === 0) {
    const li = document.createElement('li');
    li.className = 'muted';
    li.textContent = 'no scenes yet: POST /scenes';
    ul.append(li);
  }
  for (const scene of scenes) {
    const li = document.createElement('li');
    li.textContent = scene.name;
    li.dataset.id = scene.id;
    li.addEventListener('click', () => selectScene(scene).catch(fail));
    ul.append(li);
  }
  if (scenes.length > 0) await selectScene(scenes[scenes.length - 1]);
}

function describeProgress(job) {
  const p = job.progress ?? {};
  const eta = p.etaSeconds == null ? '' : `, ETA ${Math.round(p.etaSeconds)} s`;
  const rate = p.tilesPerSecond ? `, ${p.tilesPerSecond.toFixed(1)} tiles/s` : '';
  return `job ${job.id.slice(0, 8)}: ${job.state} — ${p.tilesDone ?? 0}/${p.tilesTotal ?? '?'} tiles${rate}${eta}`;
}

async function pollJob(id) {
  for (;;) {
    const job = await getJson(`/jobs/${id}`);
    state.job = job;
    setStatus(describeProgress(job), job.state === 'failed');
    const bar = $('job-progress');
    bar.hidden = false;
    bar.max = Math.max(1, job.progress?.tilesTotal ?? 1);
    bar.value = job.progress?.tilesDone ?? 0;
    if (job.state === 'succeeded') {
      if (state.scene?.id === job.scene) {
        showReportLink(job);
        await showWater(job);
      }
      return job;
    }
    if (job.state === 'failed' || job.state === 'cancelled') {
      setStatus(`${describeProgress(job)}${job.error ? `: ${job.error}` : ''}`, true);
      return job;
    }
    await new Promise((r) => setTimeout(r, 700));
  }
}

async function startJob() {
  if (!state.scene) return;
  $('start-job').disabled = true;
  try {
    const job = await getJson('/jobs', {
      method: 'POST',
      headers: apiHeaders(true),
      body: JSON.stringify({
        ...($('compare-to').value ? { kind: 'change', scenes: [state.scene.id, $('compare-to').value] } : { scene: state.scene.id }),
        prompt: $('prompt').value.trim() || undefined,
      }),
    });
    state.job = job;
    setStatus(describeProgress(job));
    await pollJob(job.id);
  } finally {
    $('start-job').disabled = false;
  }
}

function fail(err) {
  state.error = String(err?.message ?? err);
  setStatus(state.error, true);
}

$('start-job').addEventListener('click', () => startJob().catch(fail));
$('date-b-opacity').addEventListener('input', () => {
  if (map.getLayer('imagery-b')) map.setPaintProperty('imagery-b', 'raster-opacity', Number($('date-b-opacity').value) / 100);
});
for (const [box, ids] of [['show-imagery', ['imagery', 'imagery-b']], ['show-water', ['water', 'water-outline']]]) {
  $(box).addEventListener('change', () => {
    for (const id of ids) if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', $(box).checked ? 'visible' : 'none');
  });
}
const savedKey = localStorage.getItem('waterline-api-key');
if (savedKey) $('api-key').value = savedKey;
$('api-key').addEventListener('change', () => localStorage.setItem('waterline-api-key', $('api-key').value));

// For scripts and tests: the map, the state, and how many water features are drawn right now.
window.waterline = {
  map,
  state,
  renderedWaterFeatures: () => (map.getLayer('water') ? map.queryRenderedFeatures({ layers: ['water'] }).length : 0),
};

loadScenes().then(() => { state.status = 'ready'; }, (err) => { state.status = 'error'; fail(err); });
