// The coverage map (GET /map): one GraphQL request for the rows, one small request per
// kecamatan whose details are opened. Plain SVG and DOM, no library, nothing from the network
// but the hub's own /graphql.

const ENDPOINT = "/graphql";
const SVG = "http://www.w3.org/2000/svg";

const ROWS_QUERY = `query MapRows($kotaCode: String, $sectors: [String!], $maxCommunities: Int) {
  sectors { code name }
  coverage(kotaCode: $kotaCode, sectors: $sectors, maxCommunities: $maxCommunities) {
    kecamatan { code name lat lon kota { name } }
    demand supply gap coalitionCoverage waiting
  }
}`;

const DETAILS_QUERY = `query MapKecamatan($code: String!, $sectors: [String!]) {
  kecamatan(code: $code) {
    code name kota { name }
    needs { sector { code name } demand supply gap waiting }
    complements(first: 3, sectors: $sectors) {
      community { name } score reach filled
    }
  }
}`;

// Coalition coverage in five bands, from "hardly anything would be filled" to "all of it"
// (ColorBrewer RdBu, readable with the common colour-vision deficiencies).
const BANDS = [
  { below: 0.2, colour: "#b2182b", label: "under 20%" },
  { below: 0.4, colour: "#ef8a62", label: "20–40%" },
  { below: 0.6, colour: "#fddbc7", label: "40–60%" },
  { below: 0.8, colour: "#92c5de", label: "60–80%" },
  { below: Infinity, colour: "#2166ac", label: "80–100%" },
];

const COLUMNS = [
  { key: "name", title: "Kecamatan", text: (r) => r.kecamatan.name },
  { key: "kota", title: "Kota", text: (r) => r.kecamatan.kota.name },
  { key: "demand", title: "Demand", number: (r) => r.demand },
  { key: "supply", title: "Supply", number: (r) => r.supply },
  { key: "gap", title: "Gap", number: (r) => r.gap },
  { key: "waiting", title: "Waiting", number: (r) => r.waiting },
  { key: "coverage", title: "Coalition coverage", number: (r) => r.coalitionCoverage,
    format: (v) => percent(v) },
];

const state = {
  kotaCode: null,
  sector: "",
  size: 5,
  rows: [],
  sort: { key: "gap", descending: true },
  pinned: null,
  details: new Map(),
};

const $ = (selector) => document.querySelector(selector);

function percent(value) {
  return `${Math.round(value * 100)}%`;
}

function band(coverage) {
  return BANDS.find((b) => coverage < b.below);
}

async function graphql(query, variables) {
  // GET: the hub answers queries over GET with an ETag, so a reload costs a 304.
  const url = `${ENDPOINT}?query=${encodeURIComponent(query)}` +
    `&variables=${encodeURIComponent(JSON.stringify(variables))}`;
  const response = await fetch(url, {
    headers: { Accept: "application/graphql-response+json, application/json" },
  });
  let body;
  try {
    body = await response.json();
  } catch {
    throw new Error(`the hub answered ${response.status}`);
  }
  if (body.errors && body.errors.length) {
    throw new Error(body.errors.map((e) => e.message).join("; "));
  }
  if (!response.ok) throw new Error(`the hub answered ${response.status}`);
  return body;
}

function sectorsVariable() {
  return state.sector ? [state.sector] : null;
}

// ---- the rows ------------------------------------------------------------------------------

async function loadRows() {
  const status = $("#status");
  status.textContent = "Loading…";
  document.body.dataset.state = "loading";
  try {
    const body = await graphql(ROWS_QUERY, {
      kotaCode: state.kotaCode,
      sectors: sectorsVariable(),
      maxCommunities: state.size,
    });
    fillSectors(body.data.sectors);
    state.rows = body.data.coverage;
    state.details.clear();
    drawMap();
    drawTable();
    const gap = state.rows.reduce((sum, r) => sum + r.gap, 0);
    const cost = body.extensions && body.extensions.cost ? body.extensions.cost.requested : "?";
    const unplaced = state.rows.filter((r) => r.kecamatan.lat === null || r.kecamatan.lon === null);
    status.textContent = `${state.rows.length} kecamatan, ${gap.toLocaleString("en")} places ` +
      `missing${state.sector ? ` in ${sectorName(state.sector)}` : ""} (query cost ${cost}).` +
      (unplaced.length ? ` ${unplaced.length} without a position are only in the table.` : "");
    document.body.dataset.state = "ready";
    if (state.pinned) showDetails(state.pinned, { pin: true });
  } catch (error) {
    status.textContent = `Could not load the coverage: ${error.message}`;
    document.body.dataset.state = "error";
  }
}

function sectorName(code) {
  const option = $(`#sector option[value="${CSS.escape(code)}"]`);
  return option ? option.textContent : code;
}

function fillSectors(sectors) {
  const select = $("#sector");
  if (select.options.length > 1) return;
  for (const s of sectors) {
    const option = document.createElement("option");
    option.value = s.code;
    option.textContent = s.name;
    select.append(option);
  }
  select.value = state.sector;
}

// ---- the map -------------------------------------------------------------------------------

function frame(placed, box) {
  // Equirectangular, longitudes shrunk by the cosine of the middle latitude: right for a
  // city or a province, and honest enough for the whole country. Fits `placed` into `box`.
  const lats = placed.map((r) => r.kecamatan.lat);
  const lons = placed.map((r) => r.kecamatan.lon);
  const [south, north] = [Math.min(...lats), Math.max(...lats)];
  const [west, east] = [Math.min(...lons), Math.max(...lons)];
  const shrink = Math.cos(((south + north) / 2) * Math.PI / 180);
  const spanX = Math.max((east - west) * shrink, 1e-3);
  const spanY = Math.max(north - south, 1e-3);
  const scale = Math.min(box.width / spanX, box.height / spanY);
  const left = box.x + (box.width - spanX * scale) / 2;
  const top = box.y + (box.height - spanY * scale) / 2;
  return {
    bottom: top + spanY * scale,
    x: (lon) => left + (lon - west) * shrink * scale,
    y: (lat) => top + (north - lat) * scale,
  };
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function projection(rows, biggest) {
  // Kecamatan far from all the others (Jakarta's Kepulauan Seribu, 50 km out at sea) would
  // shrink the rest to a corner: they get an inset of their own, framed.
  const placed = rows.filter((r) => r.kecamatan.lat !== null && r.kecamatan.lon !== null);
  const width = 800;
  const margin = Math.ceil(biggest) + 6; // the largest circle stays inside
  if (placed.length === 0) return { placed, far: [], width, height: 200, x: () => 0, y: () => 0 };
  const mid = [median(placed.map((r) => r.kecamatan.lat)), median(placed.map((r) => r.kecamatan.lon))];
  const distance = (r) => Math.hypot(r.kecamatan.lat - mid[0], r.kecamatan.lon - mid[1]);
  const distances = placed.map(distance).sort((a, b) => a - b);
  const usual = distances[Math.floor(distances.length * 0.9)] || 0;
  const isFar = (r) => placed.length >= 10 && distance(r) > Math.max(2 * usual, 1e-3);
  const near = placed.filter((r) => !isFar(r));
  const far = placed.filter(isFar);
  const inset = far.length ? { x: 8, y: 8, width: 180, height: 180 } : null;
  // The inset takes a strip on the left, where Kepulauan Seribu lies from Jakarta.
  const left = inset ? inset.x + inset.width + margin : margin;
  const inner = width - left - margin;
  const main = frame(near, { x: left, y: margin, width: inner, height: inner });
  const height = Math.round(Math.max(main.bottom + margin, inset ? inset.height + 16 : 0));
  const pad = 45; // room for the largest circle inside the frame
  const farFrame = inset
    ? frame(far, {
      x: inset.x + pad,
      y: inset.y + pad,
      width: inset.width - 2 * pad,
      height: inset.height - 2 * pad,
    })
    : null;
  const farCodes = new Set(far.map((r) => r.kecamatan.code));
  const pick = (r) => (farCodes.has(r.kecamatan.code) ? farFrame : main);
  return {
    placed,
    width,
    height,
    inset,
    x: (r) => pick(r).x(r.kecamatan.lon),
    y: (r) => pick(r).y(r.kecamatan.lat),
  };
}

function drawMap() {
  const svg = $("#map");
  svg.replaceChildren();
  const count = state.rows.filter((r) => r.kecamatan.lat !== null && r.kecamatan.lon !== null)
    .length;
  const biggest = Math.min(30, Math.max(5, 240 / Math.sqrt(Math.max(count, 1))));
  const view = projection(state.rows, biggest);
  svg.setAttribute("viewBox", `0 0 ${view.width} ${view.height}`);
  if (view.inset) {
    const box = document.createElementNS(SVG, "rect");
    for (const [name, value] of Object.entries(view.inset)) box.setAttribute(name, value);
    box.setAttribute("class", "inset");
    const caption = document.createElementNS(SVG, "text");
    caption.setAttribute("class", "inset-caption");
    caption.setAttribute("x", view.inset.x + 6);
    caption.setAttribute("y", view.inset.y + 14);
    caption.textContent = "Farther out (not to scale)";
    svg.append(box, caption);
  }
  const maxGap = Math.max(1, ...view.placed.map((r) => r.gap));
  // Larger circles first, so that the small ones on top stay reachable.
  const ordered = [...view.placed].sort((a, b) => b.gap - a.gap || compareCodes(a, b));
  for (const row of ordered) {
    const k = row.kecamatan;
    const circle = document.createElementNS(SVG, "circle");
    const radius = row.gap > 0 ? biggest * Math.sqrt(row.gap / maxGap) : 0;
    circle.setAttribute("cx", view.x(row).toFixed(1));
    circle.setAttribute("cy", view.y(row).toFixed(1));
    circle.setAttribute("r", Math.max(radius, 2.5).toFixed(2));
    circle.setAttribute("fill", band(row.coalitionCoverage).colour);
    circle.setAttribute("tabindex", "0");
    circle.setAttribute("role", "button");
    circle.setAttribute("aria-label", `${k.name}, ${k.kota.name}: gap ${row.gap}, ` +
      `coalition coverage ${percent(row.coalitionCoverage)}`);
    circle.dataset.code = k.code;
    circle.dataset.gap = String(row.gap);
    circle.dataset.coverage = String(row.coalitionCoverage);
    if (row.gap === 0) circle.classList.add("no-gap");
    const title = document.createElementNS(SVG, "title");
    title.textContent = `${k.name} (${k.kota.name}): gap ${row.gap}`;
    circle.append(title);
    svg.append(circle);
  }
  if (view.placed.length <= 60) {
    for (const row of view.placed) {
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("class", "label");
      label.setAttribute("x", view.x(row).toFixed(1));
      label.setAttribute("y", (view.y(row) + 3).toFixed(1));
      label.setAttribute("text-anchor", "middle");
      label.setAttribute("aria-hidden", "true");
      label.textContent = row.kecamatan.name;
      svg.append(label);
    }
  }
}

function drawLegend() {
  const list = $("#legend-colours");
  for (const b of BANDS) {
    const item = document.createElement("li");
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = b.colour;
    swatch.setAttribute("aria-hidden", "true");
    item.append(swatch, b.label);
    list.append(item);
  }
}

function circleOf(code) {
  return $(`#map circle[data-code="${CSS.escape(code)}"]`);
}

function markCurrent(code) {
  for (const el of document.querySelectorAll("#map circle.current, #table tr.current")) {
    el.classList.remove("current");
  }
  if (!code) return;
  circleOf(code)?.classList.add("current");
  $(`#table tr[data-code="${CSS.escape(code)}"]`)?.classList.add("current");
}

// ---- details -------------------------------------------------------------------------------

function graphiqlLink(variables) {
  // GraphiQL reads its query and variables from `q` and `variables` (decodeURIComponent).
  return `${ENDPOINT}?q=${encodeURIComponent(DETAILS_QUERY)}` +
    `&variables=${encodeURIComponent(JSON.stringify(variables))}`;
}

async function showDetails(code, { pin = false } = {}) {
  if (pin) state.pinned = code;
  const panel = $("#details");
  const row = state.rows.find((r) => r.kecamatan.code === code);
  if (!row) return hideDetails({ force: true });
  markCurrent(code);
  panel.hidden = false;
  panel.dataset.code = code;
  const variables = { code, sectors: sectorsVariable() };
  const key = JSON.stringify(variables);
  renderDetails(panel, row, state.details.get(key), variables);
  if (!state.details.has(key)) {
    try {
      const body = await graphql(DETAILS_QUERY, variables);
      state.details.set(key, body.data.kecamatan);
    } catch (error) {
      state.details.set(key, { error: error.message });
    }
    if (panel.dataset.code === code) renderDetails(panel, row, state.details.get(key), variables);
  }
}

function hideDetails({ force = false } = {}) {
  if (state.pinned && !force) return;
  state.pinned = null;
  const panel = $("#details");
  panel.hidden = true;
  delete panel.dataset.code;
  markCurrent(null);
}

function element(tag, attributes = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  el.append(...children);
  return el;
}

function renderDetails(panel, row, found, variables) {
  const k = row.kecamatan;
  const close = element("button", { type: "button", class: "close", "aria-label": "Close" }, "×");
  close.addEventListener("click", () => {
    hideDetails({ force: true });
    circleOf(k.code)?.focus();
  });
  const figures = element("dl", { class: "figures" });
  for (const [label, value] of [
    ["Demand", row.demand], ["Supply", row.supply], ["Gap", row.gap],
    ["Waiting", row.waiting], ["Coalition coverage", percent(row.coalitionCoverage)],
  ]) {
    figures.append(element("dt", {}, label), element("dd", { "data-figure": label }, String(value)));
  }
  const parts = [
    close,
    element("h2", {}, k.name),
    element("p", {}, `${k.kota.name} · ${k.code}`),
    figures,
  ];
  if (!found) {
    parts.push(element("p", { class: "pending" }, "Loading needs and complements…"));
  } else if (found.error) {
    parts.push(element("p", { class: "error" }, `Could not load the details: ${found.error}`));
  } else {
    const needs = found.needs.filter((n) => !state.sector || n.sector.code === state.sector);
    const table = element("table", { class: "needs" },
      element("caption", {}, "Needs by sector"),
      element("tr", {}, ...["Sector", "Demand", "Supply", "Gap", "Waiting"].map(
        (t) => element("th", { scope: "col" }, t))));
    for (const n of needs) {
      table.append(element("tr", {}, element("td", {}, n.sector.name),
        ...[n.demand, n.supply, n.gap, n.waiting].map((v) => element("td", {}, String(v)))));
    }
    parts.push(table, element("h3", {}, "Top complements"));
    if (found.complements.length === 0) {
      parts.push(element("p", {}, "No community in reach."));
    } else {
      parts.push(element("ol", { class: "complements" }, ...found.complements.map((c) =>
        element("li", {}, `${c.community.name}: fills ${c.filled}, score ` +
          `${c.score.toFixed(2)} (${c.reach.toLowerCase()})`))));
    }
  }
  parts.push(element("p", {}, element("a", { href: graphiqlLink(variables), target: "_blank",
    rel: "noopener" }, "Open this query in GraphiQL")));
  panel.replaceChildren(...parts);
}

// ---- the table -----------------------------------------------------------------------------

function compareCodes(a, b) {
  return a.kecamatan.code < b.kecamatan.code ? -1 : a.kecamatan.code > b.kecamatan.code ? 1 : 0;
}

function sortedRows() {
  const column = COLUMNS.find((c) => c.key === state.sort.key);
  const sign = state.sort.descending ? -1 : 1;
  return [...state.rows].sort((a, b) => {
    const order = column.number
      ? column.number(a) - column.number(b)
      : column.text(a).localeCompare(column.text(b), "id");
    return sign * order || compareCodes(a, b);
  });
}

function drawTable() {
  const head = $("#table thead tr");
  head.replaceChildren(...COLUMNS.map((c) => {
    const button = element("button", { type: "button" }, c.title);
    button.addEventListener("click", () => {
      const same = state.sort.key === c.key;
      state.sort = { key: c.key, descending: same ? !state.sort.descending : Boolean(c.number) };
      drawTable();
      head.querySelector(`th[data-key="${c.key}"] button`)?.focus();
    });
    const th = element("th", { scope: "col", "data-key": c.key }, button);
    th.setAttribute("aria-sort", state.sort.key === c.key
      ? (state.sort.descending ? "descending" : "ascending") : "none");
    return th;
  }));
  const body = $("#table tbody");
  body.replaceChildren(...sortedRows().map((r) => {
    const tr = element("tr", { "data-code": r.kecamatan.code }, ...COLUMNS.map((c) => {
      const value = c.number ? c.number(r) : c.text(r);
      return element("td", {}, c.format ? c.format(value) : String(value));
    }));
    if (r.kecamatan.code === state.pinned) tr.classList.add("current");
    return tr;
  }));
}

// ---- wiring --------------------------------------------------------------------------------

function wire() {
  const svg = $("#map");
  const codeOf = (event) => event.target.closest?.("circle[data-code]")?.dataset.code;
  svg.addEventListener("mouseover", (event) => {
    const code = codeOf(event);
    if (code && !state.pinned) showDetails(code);
  });
  svg.addEventListener("mouseout", (event) => {
    if (codeOf(event) && !state.pinned && document.activeElement?.dataset?.code === undefined) {
      hideDetails();
    }
  });
  svg.addEventListener("focusin", (event) => {
    const code = codeOf(event);
    if (code && (!state.pinned || state.pinned !== code)) {
      state.pinned = null;
      showDetails(code);
    }
  });
  svg.addEventListener("click", (event) => {
    const code = codeOf(event);
    if (code) showDetails(code, { pin: true });
  });
  svg.addEventListener("keydown", (event) => {
    const code = codeOf(event);
    if (!code) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      showDetails(code, { pin: true });
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !$("#details").hidden) hideDetails({ force: true });
  });
  $("#sector").addEventListener("change", (event) => {
    state.sector = event.target.value;
    const params = new URLSearchParams(location.search);
    if (state.sector) params.set("sector", state.sector);
    else params.delete("sector");
    history.replaceState(null, "", `${location.pathname}${params.size ? `?${params}` : ""}`);
    loadRows();
  });
  $("#size").addEventListener("change", (event) => {
    state.size = Number(event.target.value);
    const params = new URLSearchParams(location.search);
    if (state.size !== 5) params.set("communities", String(state.size));
    else params.delete("communities");
    history.replaceState(null, "", `${location.pathname}${params.size ? `?${params}` : ""}`);
    loadRows();
  });
  $("#filters").addEventListener("submit", (event) => event.preventDefault());
}

function start() {
  const params = new URLSearchParams(location.search);
  state.kotaCode = params.get("kota") || null;
  state.sector = params.get("sector") || "";
  const size = Number(params.get("communities"));
  state.size = [1, 2, 3, 5].includes(size) ? size : 5;
  $("#size").value = String(state.size);
  drawLegend();
  wire();
  loadRows();
}

start();
