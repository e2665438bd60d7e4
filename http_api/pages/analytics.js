// The analytics dashboard: one GraphQL query with the admin's token, drawn as SVG in the page.
"use strict";

const SERIES = `... on TimeSeries { points { time value } } ... on UserError { __typename message }`;
const QUERY = `query Dashboard($from: Date!, $to: Date!, $interval: AnalyticsInterval!) {
  analytics { __typename ... on UserError { message } ... on Analytics {
    active: activeSubscriptions(from: $from, to: $to, interval: $interval) { ${SERIES} }
    newSubscriptions: activity(activity: NEW_SUBSCRIPTIONS, from: $from, to: $to, interval: $interval) { ${SERIES} }
    purchases: activity(activity: PURCHASES, from: $from, to: $to, interval: $interval) { ${SERIES} }
    revenue: revenue(from: $from, to: $to, interval: $interval) { ${SERIES} }
    cancellations: activity(activity: CANCELLATIONS, from: $from, to: $to, interval: $interval) { ${SERIES} }
    refunds: activity(activity: REFUNDS, from: $from, to: $to, interval: $interval) { ${SERIES} }
    expirations: activity(activity: EXPIRATIONS, from: $from, to: $to, interval: $interval) { ${SERIES} }
    forecast: expirationForecast(days: 30) { ${SERIES} }
    popular: popularCourses(window: WEEK, first: 10) {
      ... on PopularCourseList { items { course { id title } newSubscriptions } }
      ... on UserError { __typename message } }
  } } }`;
// [key, caption, kind, unit]: kind "line" for a level, "bars" for counts per bucket.
const CHARTS = [
  ["active", "Active subscriptions", "line", ""],
  ["newSubscriptions", "New subscriptions", "bars", ""],
  ["purchases", "Purchases", "bars", ""],
  ["revenue", "Revenue, net of refunds", "bars", "₹"],
  ["cancellations", "Cancellations", "bars", ""],
  ["refunds", "Refunds", "bars", ""],
  ["expirations", "Expirations", "bars", ""],
  ["forecast", "Expiring in the next 30 days", "bars", ""],
];
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 480, HEIGHT = 160, LEFT = 44, BOTTOM = 18, TOP = 8;

const $ = (id) => document.getElementById(id);
const day = (time) => time.slice(0, 10);
// Revenue is stored in paise; it is shown in rupees.
const shown = (value, unit) => unit === "₹" ? value / 100 : value;
const format = (value, unit) => unit + shown(value, unit).toLocaleString("en-IN");

function svg(tag, attributes, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (parent) parent.appendChild(node);
  return node;
}

function chart(key, caption, kind, unit, series) {
  const figure = document.createElement("figure");
  figure.id = `chart-${key}`;
  const title = document.createElement("figcaption");
  figure.appendChild(title);
  if (!series.points) {
    title.textContent = `${caption}: ${series.message}`;
    figure.classList.add("problem");
    return figure;
  }
  const points = series.points;
  const total = points.reduce((sum, p) => sum + p.value, 0);
  title.textContent = caption + " ";
  const summary = document.createElement("span");
  summary.className = "total";
  summary.textContent = kind === "line"
    ? `(now ${format(points.length ? points[points.length - 1].value : 0, unit)})`
    : `(total ${format(total, unit)})`;
  title.appendChild(summary);
  const root = svg("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": caption }, figure);
  const high = Math.max(unit === "₹" ? 100 : 1, ...points.map((p) => p.value));
  const low = Math.min(0, ...points.map((p) => p.value));
  const plotHeight = HEIGHT - BOTTOM - TOP;
  const y = (value) => TOP + plotHeight * (high - value) / (high - low);
  const step = (WIDTH - LEFT) / Math.max(points.length, 1);
  svg("text", { x: 2, y: TOP + 8 }, root).textContent = format(high, unit);
  svg("text", { x: 2, y: y(low) }, root).textContent = format(low, unit);
  svg("line", { x1: LEFT, x2: WIDTH, y1: y(0), y2: y(0), stroke: "#b8c2cc" }, root);
  if (points.length) {
    svg("text", { x: LEFT, y: HEIGHT - 4 }, root).textContent = day(points[0].time);
    svg("text", { x: WIDTH, y: HEIGHT - 4, "text-anchor": "end" }, root).textContent =
      day(points[points.length - 1].time);
  }
  const mark = (node, p) => {
    node.setAttribute("data-time", day(p.time));
    node.setAttribute("data-value", String(p.value));
    svg("title", {}, node).textContent = `${day(p.time)}: ${format(p.value, unit)}`;
  };
  if (kind === "line") {
    const xy = points.map((p, i) => [LEFT + step * (i + 0.5), y(p.value)]);
    svg("polyline", { class: "line", points: xy.map((c) => c.join(",")).join(" ") }, root);
    points.forEach((p, i) => mark(svg("circle", { class: "dot", cx: xy[i][0], cy: xy[i][1], r: 2.5 }, root), p));
  } else {
    points.forEach((p, i) => {
      const top = y(Math.max(p.value, 0)), bottom = y(Math.min(p.value, 0));
      const bar = svg("rect", {
        class: p.value < 0 ? "bar negative" : "bar",
        x: LEFT + step * i + step * 0.1, width: Math.max(step * 0.8, 0.5),
        y: top, height: Math.max(bottom - top, p.value === 0 ? 0 : 1),
      }, root);
      mark(bar, p);
    });
  }
  return figure;
}

function popular(result) {
  const body = $("popular").querySelector("tbody");
  body.replaceChildren();
  for (const item of result.items || []) {
    const row = body.insertRow();
    row.insertCell().textContent = item.course.title;
    const count = row.insertCell();
    count.className = "number";
    count.textContent = String(item.newSubscriptions);
    row.setAttribute("data-course-id", item.course.id);
  }
}

function status(text, problem) {
  $("status").textContent = text;
  $("status").className = problem ? "problem" : "";
}

async function load(event) {
  if (event) event.preventDefault();
  const token = $("token").value.trim();
  sessionStorage.setItem("coursegate-admin-token", token);
  const [days, interval] = $("range").value.split(":");
  const to = new Date();
  const from = new Date(to.getTime() - (Number(days) - 1) * 86400000);
  status("Loading…", false);
  $("charts").replaceChildren();
  let body;
  try {
    const response = await fetch("/graphql", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: QUERY,
        variables: { from: from.toISOString().slice(0, 10), to: to.toISOString().slice(0, 10), interval },
      }),
    });
    body = await response.json();
  } catch (error) {
    status(`The gateway did not answer: ${error}`, true);
    return;
  }
  const analytics = body.data && body.data.analytics;
  if (!analytics) {
    status((body.errors || [{ message: "no answer" }]).map((e) => e.message).join("; "), true);
    return;
  }
  if (analytics.__typename !== "Analytics") {
    status(`${analytics.__typename}: ${analytics.message}`, true);
    return;
  }
  for (const [key, caption, kind, unit] of CHARTS) {
    $("charts").appendChild(chart(key, caption, kind, unit, analytics[key]));
  }
  popular(analytics.popular);
  status(`Updated ${new Date().toLocaleTimeString()}`, false);
  document.body.setAttribute("data-loaded", "true");
}

$("token").value = sessionStorage.getItem("coursegate-admin-token") || "";
$("controls").addEventListener("submit", load);
