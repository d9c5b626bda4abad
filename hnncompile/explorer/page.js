const data = JSON.parse(document.getElementById("data").textContent);
// 4 significant digits; far from 1, as 5.126e+19 rather than 20 digits.
const format = (v) => {
  if (!Number.isFinite(v)) return String(v);
  if (v !== 0 && (Math.abs(v) >= 1e6 || Math.abs(v) < 1e-6)) {
    return v.toExponential(3).replace(/\.?0+e/, "e");
  }
  return String(Number(v.toPrecision(4)));
};
// Maps, not objects, for whatever is keyed by a name: a wire may be
// named __proto__, constructor or toString.
const point = new Map(Object.entries(data.start));
const args = () => data.inputs.map((name) => point.get(name));
const nudged = document.getElementById("nudged"); // none without a gradient

// The drawing's edges by wire, found once: draw.py gives each the id
// wire-<name>-<n>, and a name has no "-". Its boxes: gate i is gate<i>.
const edges = new Map();
document.querySelectorAll('g[id^="wire-"]').forEach((edge) => {
  const wire = edge.id.slice("wire-".length, edge.id.lastIndexOf("-"));
  if (!edges.has(wire)) edges.set(wire, []);
  edges.get(wire).push(edge);
});
const gateBoxes = new Map();
document.querySelectorAll("g.node").forEach((node) => {
  const title = node.querySelector("title").textContent;
  if (/^gate[0-9]+$/.test(title)) gateBoxes.set(Number(title.slice(4)), node);
});

// Set an input everywhere but in the element being typed into or dragged.
function setInput(name, value, changed = null) {
  point.set(name, value);
  const slider = document.getElementById("slider-" + name);
  const box = document.getElementById("box-" + name);
  const reach = Math.max(Number(slider.max), Math.abs(value));
  slider.min = -reach;
  slider.max = reach;
  if (slider !== changed) slider.value = value;
  // The box shows 6 digits; the point keeps every bit of the number.
  if (box !== changed) box.value = Number(value.toPrecision(6));
}

function update() {
  // The emitted JavaScript, and nothing else, computes every number.
  const value = forward(...args());
  const grads = backward(...args());
  const [values, gradients] = trace(...args());
  document.querySelector("#output .value").textContent = format(value);
  data.inputs.forEach((name) => {
    const i = data.wrt.indexOf(name);
    document.getElementById("grad-" + name).textContent =
      i < 0 ? "" : "gradient " + format(grads[i]);
  });
  data.wires.forEach((wire) => {
    const row = document.getElementById("row-" + wire);
    row.querySelector(".value").textContent = format(values.get(wire));
    row.querySelector(".gradient").textContent = format(gradients.get(wire));
    (edges.get(wire) || []).forEach((edge) => {
      edge.querySelector('text[fill="#1e8449"]').textContent = format(values.get(wire));
      edge.querySelector('text[fill="#c0392b"]').textContent = format(gradients.get(wire));
    });
  });
  data.lines.forEach(([line, wire, kind]) => {
    const element = document.getElementById("line-" + line);
    let now = element.querySelector(".now");
    if (!now) {
      now = document.createElement("span");
      now.className = "now";
      element.appendChild(now);
    }
    const number = (kind === "value" ? values : gradients).get(wire);
    now.textContent = "  // " + format(number);
  });
  showFlow(gradients);
  showBackwardStep(values, gradients);
  return value;
}

// Where the gradient flows: each wire is drawn from 1 to 7 pixels thick,
// as its |gradient| goes from 0 to the largest on the drawing now.
function showFlow(gradients) {
  const size = (wire) => Math.abs(gradients.get(wire)) || 0; // NaN: thin
  let largest = 0;
  edges.forEach((_, wire) => (largest = Math.max(largest, size(wire))));
  edges.forEach((list, wire) => {
    const width = largest > 0 && largest < Infinity ? 1 + (6 * size(wire)) / largest : 1;
    list.forEach((edge) => edge.querySelector("path").setAttribute("stroke-width", width));
  });
  const legend = document.getElementById("legend-largest");
  if (legend) legend.textContent = format(largest);
}

// Click a line of code to pick out its wire (on the drawing, in the table
// and in the code), or a wire to pick out its lines.
function pick(wire) {
  document.querySelectorAll(".picked").forEach((e) => e.classList.remove("picked"));
  (edges.get(wire) || []).forEach((edge) => edge.classList.add("picked"));
  document.getElementById("row-" + wire).classList.add("picked");
  data.code.forEach(([line, w]) => {
    if (w === wire) document.getElementById("line-" + line).classList.add("picked");
  });
}
data.code.forEach(([line, wire]) => {
  document.getElementById("line-" + line).addEventListener("click", () => pick(wire));
});
edges.forEach((list, wire) => list.forEach((e) => e.addEventListener("click", () => pick(wire))));

// Step through backward: one gate at a time from the output back, each
// chain-rule line in names and in numbers, and the sum where a wire fans
// out. `contributions` (generated from the gate catalogue) gives each
// line's product from the trace's numbers.
let backwardAt = -1; // the step shown, -1 for none
const bracketed = (v) => (v < 0 ? "(" + format(v) + ")" : format(v));

function showBackwardStep(values, gradients) {
  const explain = document.getElementById("back-explain");
  if (!explain) return;
  document.querySelectorAll(".current").forEach((e) => e.classList.remove("current"));
  explain.replaceChildren();
  delete explain.dataset.gate;
  if (backwardAt < 0) return;
  const step = data.backward[backwardAt];
  gateBoxes.get(step.gate)?.classList.add("current");
  for (let line = step.lines[0]; line <= step.lines[1]; line++) {
    document.getElementById("line-" + line).classList.add("current");
  }
  explain.dataset.gate = step.gate;
  const products = contributions(values, gradients);
  const said = [`gate ${backwardAt + 1} of ${data.backward.length} back: ${step.written}`];
  step.parts.forEach((part) => {
    const inNames = part.rule.map((p) => (typeof p === "string" ? p : p[2])).join("");
    const inNumbers = part.rule
      .map((p) => (typeof p === "string" ? p : bracketed((p[1] === "value" ? values : gradients).get(p[0]))))
      .join("");
    const product = format(products[part.index]);
    const plain = part.rule.length === 1; // a gradient passed on as it is
    said.push(`${part.grad} ${part.operator} ${inNames} = ${plain ? "" : inNumbers + " = "}${product}`);
    if (part.operator === "+=") {
      const branches = data.backward
        .slice(0, backwardAt + 1)
        .flatMap((s) => s.parts)
        .filter((p) => p.to === part.to)
        .map((p) => products[p.index]);
      const sum = branches.reduce((a, b) => a + b, 0);
      said.push(`${part.to} fans out, its branches add up: ${part.grad} = ${branches.map(bracketed).join(" + ")} = ${format(sum)}`);
    }
  });
  said.forEach((text) => {
    const line = document.createElement("div");
    line.textContent = text;
    explain.appendChild(line);
  });
}

document.getElementById("back-step")?.addEventListener("click", () => {
  backwardAt = backwardAt + 1 < data.backward.length ? backwardAt + 1 : -1;
  if (backwardAt < 0) {
    update();
    document.getElementById("back-explain").textContent =
      "Every gradient is computed: that was the whole backward pass.";
  } else {
    update();
  }
});

document.querySelectorAll("input[data-input]").forEach((element) => {
  element.addEventListener("input", () => {
    const value = Number(element.value);
    if (element.value === "" || !Number.isFinite(value)) return;
    setInput(element.dataset.input, value, element);
    if (nudged) nudged.textContent = "";
    refresh(element);
  });
});

document.getElementById("nudge")?.addEventListener("click", () => {
  const before = forward(...args());
  const grads = backward(...args());
  data.wrt.forEach((name, i) => setInput(name, point.get(name) + data.step * grads[i]));
  const after = update();
  nudged.textContent =
    data.output + " went from " + format(before) + " to " + format(after) +
    " (" + (after >= before ? "+" : "") + format(after - before) + ")";
});

// A small seeded random number generator (mulberry32), so that a run of
// training can be replayed: the same seed picks the same points.
function seeded(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Chapter 2: stochastic gradient descent on the data set, as the tutorial
// writes it: pick a point at random, set the data inputs, run backward,
// and move each parameter by -step times its gradient.
function trainer(training) {
  const { points, labels, score } = training;
  const [xAt, yAt, labelAt] = training.data.map((name) => data.inputs.indexOf(name));
  const gradientAt = training.trained.map((name) => data.wrt.indexOf(name));
  const shown = (id) => document.getElementById(id);
  let random, steps, history, running = false;

  function at(x, y, label) {
    const values = args();
    values[xAt] = x;
    values[yAt] = y;
    values[labelAt] = label;
    return values;
  }

  function stepSize() {
    const step = Number(shown("step-size").value);
    return Number.isFinite(step) && step > 0 ? step : training.step;
  }

  // Training stops, and says why, where its numbers are no longer finite.
  function stop(reason) {
    run(false);
    shown("train-status").textContent =
      `Stopped at step ${steps}: ${reason}. Reset, and try a smaller step size, ` +
      "or hold a parameter where it is (leave it out of wrt).";
  }
  const notFinite = "the program is not a finite number at some of the points";

  // One step of SGD; false (and the parameters left as they were) where
  // it would make one of them infinite or NaN.
  function sgdStep() {
    const i = Math.floor(random() * points.length);
    point.set(training.data[0], points[i][0]);
    point.set(training.data[1], points[i][1]);
    point.set(training.data[2], labels[i]);
    const grads = backward(...args());
    const step = stepSize();
    const moved = training.trained.map((name, k) => point.get(name) + -step * grads[gradientAt[k]]);
    const k = moved.findIndex((value) => !Number.isFinite(value));
    if (k >= 0) {
      stop(`the next step would set ${training.trained[k]} = ${format(moved[k])}`);
      return false;
    }
    training.trained.forEach((name, k) => point.set(name, moved[k]));
    steps += 1;
    return true;
  }

  // The loss (the output, averaged over every point) and the training
  // accuracy (the sign of the score against the label; a score that is
  // not a number decides nothing).
  function evaluate() {
    let loss = 0;
    let correct = 0;
    points.forEach(([x, y], i) => {
      const [values] = trace(...at(x, y, labels[i]));
      loss += values.get(data.output);
      const s = values.get(score);
      correct += Number.isFinite(s) && (s > 0 ? 1 : -1) === labels[i];
    });
    return [loss / points.length, correct / points.length];
  }

  // The view of the plane: the points' box with a margin, square.
  const canvas = shown("boundary");
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const middle = [(Math.min(...xs) + Math.max(...xs)) / 2, (Math.min(...ys) + Math.max(...ys)) / 2];
  const half = 0.6 * Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys), 1);
  const toPlane = (px, py) => [
    middle[0] - half + (2 * half * px) / canvas.width,
    middle[1] + half - (2 * half * py) / canvas.height,
  ];
  const toCanvas = ([x, y]) => [
    ((x - middle[0] + half) / (2 * half)) * canvas.width,
    ((middle[1] + half - y) / (2 * half)) * canvas.height,
  ];
  const CELL = 8; // pixels of the canvas per evaluation of the score

  // The decision regions: the sign of the score over a grid, and the points.
  function drawBoundary() {
    const context = canvas.getContext("2d");
    for (let px = 0; px < canvas.width; px += CELL) {
      for (let py = 0; py < canvas.height; py += CELL) {
        const [x, y] = toPlane(px + CELL / 2, py + CELL / 2);
        const [values] = trace(...at(x, y, 1));
        const s = values.get(score);
        context.fillStyle = s > 0 ? "#d6eaf8" : s <= 0 ? "#fadbd8" : "#eeeeee";
        context.fillRect(px, py, CELL, CELL);
      }
    }
    points.forEach((p, i) => {
      const [cx, cy] = toCanvas(p);
      context.beginPath();
      context.arc(cx, cy, 4, 0, 2 * Math.PI);
      context.fillStyle = labels[i] > 0 ? "#2471a3" : "#c0392b";
      context.fill();
      context.strokeStyle = "#222";
      context.stroke();
    });
    const [cx, cy] = toCanvas([point.get(training.data[0]), point.get(training.data[1])]);
    context.beginPath();
    context.arc(cx, cy, 8, 0, 2 * Math.PI);
    context.lineWidth = 2;
    context.stroke();
    context.lineWidth = 1;
  }

  function drawLoss() {
    const plot = shown("loss-plot");
    const context = plot.getContext("2d");
    context.clearRect(0, 0, plot.width, plot.height);
    // From the lowest loss (or 0) at the bottom to the highest at the top:
    // a cost may be negative.
    const finite = history.filter(([, loss]) => Number.isFinite(loss));
    const top = Math.max(...finite.map(([, loss]) => loss), 0);
    const bottom = Math.min(...finite.map(([, loss]) => loss), 0);
    const last = Math.max(history[history.length - 1][0], 1);
    context.beginPath();
    finite.forEach(([step, loss], k) => {
      const x = (step / last) * (plot.width - 2) + 1;
      const y = plot.height - 2 - ((loss - bottom) / (top - bottom || 1)) * (plot.height - 16);
      if (k === 0) context.moveTo(x, y);
      else context.lineTo(x, y);
    });
    context.strokeStyle = "#c0392b";
    context.stroke();
    context.fillStyle = "#555";
    context.fillText(`loss over ${last} steps: ${format(bottom)} to ${format(top)}`, 4, 10);
  }

  // Every number and drawing at the current parameters (`changed`: the
  // input element being typed into, left as it is).
  function show(changed = null) {
    data.inputs.forEach((name) => setInput(name, point.get(name), changed));
    update();
    const [loss, accuracy] = evaluate();
    shown("loss").textContent = format(loss);
    shown("accuracy").textContent = Math.floor(1000 * accuracy) / 10 + "%";
    shown("steps").textContent = steps;
    if (!history.length || history[history.length - 1][0] !== steps) history.push([steps, loss]);
    if (history.length > 2000) history = history.filter((_, k) => k % 2 === 0);
    drawLoss();
    drawBoundary();
    if (Number.isFinite(loss)) {
      if (changed !== null) shown("train-status").textContent = "";
      return;
    }
    if (changed !== null || steps === 0) {
      shown("train-status").textContent = `At these parameters the loss is ${format(loss)}: ${notFinite}.`;
    } else if (!shown("train-status").textContent) {
      stop(`the loss is ${format(loss)}`); // unless a step was refused, and said why
    }
  }

  function frame() {
    if (!running) return;
    const count = Math.max(1, Math.floor(Number(shown("speed").value)) || 1);
    for (let k = 0; k < count && sgdStep(); k++);
    show();
    if (running) requestAnimationFrame(frame);
  }

  function run(on) {
    if (on) shown("train-status").textContent = "";
    running = on;
    shown("train").disabled = on;
    shown("pause").disabled = !on;
    if (on) requestAnimationFrame(frame);
  }

  function reset() {
    run(false);
    Object.entries(data.start).forEach(([name, value]) => point.set(name, value));
    random = seeded(training.seed);
    steps = 0;
    history = [];
    shown("train-status").textContent = "";
    show();
  }

  shown("train").addEventListener("click", () => run(true));
  shown("pause").addEventListener("click", () => run(false));
  shown("step").addEventListener("click", () => {
    run(false);
    shown("train-status").textContent = "";
    if (sgdStep()) show();
  });
  shown("reset").addEventListener("click", reset);
  reset();
  return show;
}

// What an input's change redraws: in training mode, the loss, the
// accuracy and the decision regions too.
const refresh = data.training ? trainer(data.training) : update;
if (!data.training) update();
